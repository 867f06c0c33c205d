package dev.sprout.protocol.client;

/** How a session attaches to its timeline. */
public sealed interface AttachMode {

    /**
     * A writing session. {@code generation} 0 takes the timeline over: the server bumps the timeline's writer
     * generation and fences every older session. A non-zero generation resumes a session that holds it (what
     * the client does itself after a reconnect) and is refused with {@code FENCED} if a newer one exists.
     * {@code exclusive} (generation 0 only) refuses with {@code WRITER_ATTACHED} instead of taking over while
     * another writer is attached.
     */
    record ReadWrite(long generation, boolean exclusive) implements AttachMode {
        public ReadWrite {
            if (generation < 0) {
                throw new IllegalArgumentException("generation: " + generation + " (expected: >= 0)");
            }
            if (exclusive && generation != 0) {
                throw new IllegalArgumentException(
                        "exclusive applies to a new writer (generation 0), not to generation " + generation);
            }
        }

        public ReadWrite(long generation) {
            this(generation, false);
        }
    }

    /** A reading session at {@code lsn}, or at the timeline's head (followed as it moves) when 0. */
    record ReadOnly(long lsn) implements AttachMode {}

    /** Read-write, taking the timeline over from any older writer. */
    static ReadWrite takeOver() {
        return new ReadWrite(0);
    }

    /**
     * Read-write, but only if no other writer is attached: refused with {@code WRITER_ATTACHED} while one is
     * (what a compute uses, so a second compute on a branch cannot take it from a running one).
     */
    static ReadWrite exclusive() {
        return new ReadWrite(0, true);
    }

    /** Read-write, resuming the writer generation {@code generation} (refused with FENCED if a newer one exists). */
    static ReadWrite resume(long generation) {
        if (generation <= 0) {
            throw new IllegalArgumentException("generation: " + generation + " (expected: > 0; 0 takes over)");
        }
        return new ReadWrite(generation);
    }

    /** Read-only at the timeline's head, following it as it moves. */
    static ReadOnly head() {
        return new ReadOnly(0);
    }

    /** Read-only at a fixed LSN (0 is the head, see {@link #head()}). */
    static ReadOnly at(long lsn) {
        return new ReadOnly(lsn);
    }
}
