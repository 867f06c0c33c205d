package dev.sprout.bench.e2e;

import dev.sprout.bench.kit.Json;
import dev.sprout.bench.kit.Table;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The goals, each judged on a figure of this run: MET or MISSED with the figure, or NOT MEASURED with the
 * reason (a step not run, a size this run did not have). Not thread-safe.
 */
final class Goals {
    enum Verdict {
        MET,
        MISSED,
        NOT_MEASURED
    }

    /**
     * One goal's verdict.
     *
     * @param standIn judged on a stand-in for what the goal names (a smaller dataset than its 10 GiB, fewer branches
     *                than its 1,000, as in a quick run): the goal's line says which
     */
    record Goal(String goal, String measured, Verdict verdict, double value, double target, boolean standIn) {}

    private final List<Goal> goals = new ArrayList<>();

    void judge(String goal, String measured, boolean met, double value, double target) {
        judge(goal, measured, met, value, target, false);
    }

    void judge(String goal, String measured, boolean met, double value, double target, boolean standIn) {
        goals.add(new Goal(
                goal,
                measured,
                Double.isNaN(value) ? Verdict.NOT_MEASURED : met ? Verdict.MET : Verdict.MISSED,
                value,
                target,
                standIn));
    }

    void notMeasured(String goal, String why) {
        goals.add(new Goal(goal, why, Verdict.NOT_MEASURED, Double.NaN, Double.NaN, false));
    }

    List<Goal> all() {
        return List.copyOf(goals);
    }

    String render() {
        Table t = new Table("goal", "measured", "verdict");
        for (Goal g : goals) {
            t.row(
                    g.goal(),
                    g.measured(),
                    switch (g.verdict()) {
                                case MET -> "MET";
                                case MISSED -> "**MISSED**";
                                case NOT_MEASURED -> "not measured";
                            }
                            + (g.standIn() && g.verdict() != Verdict.NOT_MEASURED ? " (on a stand-in)" : ""));
        }
        return t.render();
    }

    List<Object> json() {
        List<Object> out = new ArrayList<>();
        for (Goal g : goals) {
            Map<String, Object> o = Json.object();
            o.put("goal", g.goal().replace("**", ""));
            o.put("measured", g.measured());
            o.put("verdict", g.verdict().name());
            o.put("standIn", g.standIn());
            o.put("value", g.value());
            o.put("target", g.target());
            out.add(o);
        }
        return out;
    }
}
