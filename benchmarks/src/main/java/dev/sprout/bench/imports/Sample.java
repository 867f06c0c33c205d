package dev.sprout.bench.imports;

import dev.sprout.bench.kit.Cpu;

/**
 * One measured copy of the source: its wall time, the bytes it wrote (pg_basebackup: the files under its directory;
 * Sprout: the archive bytes the import read) and the CPU time of the benchmark's processes meanwhile. For a Sprout
 * import also its {@code --json} summary's {@code import_ms} (pg_basebackup's archive streamed into the store) and
 * {@code first_start_ms} (backup recovery by the first start of a compute); NaN for pg_basebackup.
 */
record Sample(Way way, int run, double wallMs, long bytes, Cpu.Window cpu, double importMs, double firstStartMs) {

    /** The ways of copying the source that the benchmark times. */
    enum Way {
        TAR("pg_basebackup -Ft to local disk", true),
        PLAIN("pg_basebackup -Fp to local disk", true),
        DEVNULL("pg_basebackup -Ft -D - to /dev/null (the source's own rate; not a baseline)", false),
        SPROUT("sprout import (a new branch)", false);

        final String label;
        /** Whether it is one of the baselines (the faster median of the two is the baseline). */
        final boolean baseline;

        Way(String label, boolean baseline) {
            this.label = label;
            this.baseline = baseline;
        }
    }

    /** MB (10^6 bytes, as pg_basebackup and {@code sprout import} count them) per second of the whole wall time. */
    double mbPerSecond() {
        return bytes / 1e6 / (wallMs / 1e3);
    }
}
