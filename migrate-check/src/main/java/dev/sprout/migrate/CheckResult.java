package dev.sprout.migrate;

import dev.sprout.diff.data.TableDiff;
import dev.sprout.diff.schema.SchemaDiff;
import java.util.List;
import java.util.Optional;

/**
 * Everything one migration check found.
 *
 * @param base          the branch checked against (with {@code @point} when one was given)
 * @param branch        the short-lived branch the migrations ran on
 * @param kept          whether that branch is kept (--keep)
 * @param set           the directory read, and its layout
 * @param appliedBefore migrations the base's history had applied (Flyway layout)
 * @param drift         the base's history against the directory
 * @param ups           each pending migration's run, in order (failed and skipped ones too)
 * @param downs         each down script's run, in the order applied (empty without down scripts)
 * @param schema        the schema diff from the base to the branch after the up migrations
 * @param data          the data diff from the base to the branch after the up migrations
 * @param again         each idempotency check (plain files and repeatable migrations)
 * @param reversal      what did not come back after the down scripts, when they ran
 * @param findings      every finding, in the order found
 * @param failOn        the level at and above which findings fail the check (empty: never)
 * @param millis        the check's wall-clock time
 */
public record CheckResult(
        String base,
        String branch,
        boolean kept,
        MigrationSet set,
        int appliedBefore,
        List<History.Drift> drift,
        List<Runner.Run> ups,
        List<Runner.Run> downs,
        Optional<SchemaDiff> schema,
        List<TableDiff> data,
        List<SecondRun.Result> again,
        Optional<Reversal> reversal,
        List<Finding> findings,
        Optional<Finding.Severity> failOn,
        long millis) {

    public CheckResult {
        drift = List.copyOf(drift);
        ups = List.copyOf(ups);
        downs = List.copyOf(downs);
        data = List.copyOf(data);
        again = List.copyOf(again);
        findings = List.copyOf(findings);
    }

    /**
     * The state after the down scripts against the base.
     *
     * @param schema  the schema diff from the base to the branch after up and down (the history table left out)
     * @param data    the tables whose rows differ from the base's
     * @param dropped tables the up migrations dropped (their rows are not expected back)
     */
    public record Reversal(SchemaDiff schema, List<TableDiff> data, List<String> dropped) {
        public Reversal {
            data = List.copyOf(data);
            dropped = List.copyOf(dropped);
        }

        public boolean reversed() {
            return schema.equal() && data.stream().allMatch(TableDiff::equal);
        }
    }

    /** Whether a finding is at or above --fail-on. */
    public boolean fails() {
        return failOn.isPresent()
                && findings.stream().anyMatch(f -> f.severity().compareTo(failOn.get()) >= 0);
    }

    public long count(Finding.Severity s) {
        return findings.stream().filter(f -> f.severity() == s).count();
    }
}
