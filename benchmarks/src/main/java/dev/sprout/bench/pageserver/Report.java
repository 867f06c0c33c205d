package dev.sprout.bench.pageserver;

import dev.sprout.bench.report.Table;
import java.util.ArrayList;
import java.util.List;

/**
 * The Markdown report of one run: a table of goals (each met or not, with the figure), then one section per
 * benchmark group. Every ratio in it divides figures measured in this same run.
 */
final class Report {
    private final Table goals = new Table("goal", "measured", "met?");
    private int goalCount;
    private final List<String> sections = new ArrayList<>();

    void goal(String goal, String measured, boolean met) {
        goals.row(goal, measured, Fmt.yesNo(met));
        goalCount++;
    }

    void section(String markdown) {
        sections.add(markdown);
    }

    String render() {
        StringBuilder s = new StringBuilder();
        if (goalCount > 0) {
            s.append("#### Goals\n\n").append(goals.render()).append('\n');
        }
        for (String section : sections) {
            s.append(section).append('\n');
        }
        return s.toString();
    }
}
