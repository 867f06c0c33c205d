package dev.sprout.storage.timeline;

import java.time.Instant;

/**
 * Where in its parent's history a branch starts: exactly one of these, so "an LSN and a time" cannot reach the store.
 * The vocabulary of every API that makes branches (the management API's timelines, the control plane's branches).
 */
public sealed interface BranchPoint {
    /** The parent's head now (its last LSN when the branch is made; the control plane checkpoints a running compute first). */
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
