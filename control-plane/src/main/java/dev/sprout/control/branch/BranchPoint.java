package dev.sprout.control.branch;

import java.time.Instant;

/** Where in its parent's history a branch starts. */
public sealed interface BranchPoint {
    /** The parent's head now (a running parent compute is checkpointed first). */
    record Head() implements BranchPoint {
        @Override
        public String toString() {
            return "head";
        }
    }

    /** A given LSN of the parent. */
    record AtLsn(long lsn) implements BranchPoint {
        @Override
        public String toString() {
            return "LSN " + lsn;
        }
    }

    /** The parent as it was at a time (the last commit at or before it). */
    record AtTime(Instant time) implements BranchPoint {
        @Override
        public String toString() {
            return time.toString();
        }
    }
}
