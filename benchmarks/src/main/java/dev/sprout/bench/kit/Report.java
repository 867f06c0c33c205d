package dev.sprout.bench.kit;

import java.util.ArrayList;
import java.util.List;

/**
 * The Markdown report of one run: the failures (if any), a table of goals (each met or not, with the figure), then
 * one section per step. Every ratio in it divides figures measured in this same run.
 */
public final class Report {
    private final Table goals = new Table("goal", "measured", "met?");
    private int goalCount;
    private final List<String> sections = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    public void goal(String goal, String measured, boolean met) {
        goals.row(goal, measured, Fmt.yesNo(met));
        goalCount++;
    }

    public void section(String markdown) {
        sections.add(markdown);
    }

    public void failure(String step, Throwable e) {
        failures.add("- **" + step + " failed**: `"
                + String.valueOf(e).replace("`", "'").replace("\n", " ") + "`");
    }

    public boolean failed() {
        return !failures.isEmpty();
    }

    public String render() {
        StringBuilder s = new StringBuilder();
        if (!failures.isEmpty()) {
            s.append("#### Failures\n\n").append(String.join("\n", failures)).append("\n\n");
        }
        if (goalCount > 0) {
            s.append("#### Goals\n\n").append(goals.render()).append('\n');
        }
        for (String section : sections) {
            s.append(section).append('\n');
        }
        return s.toString();
    }
}
