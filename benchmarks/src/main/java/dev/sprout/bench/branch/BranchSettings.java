package dev.sprout.bench.branch;

import java.nio.file.Path;

/**
 * One run's parameters.
 *
 * @param scale    pgbench scale factor of main's data (100,000 accounts, about 15 MiB, each: 70 is about 1 GiB)
 * @param branches measured branches, each created, queried once and stopped
 * @param out      where the report and the logs go
 * @param base     where the pageserver's store, the computes' directories and the proxy's certificate go
 */
record BranchSettings(boolean quick, int scale, int branches, Path out, Path base) {

    static BranchSettings of(boolean quick, Integer scale, Integer branches, Path out, Path base) {
        return new BranchSettings(quick, scale != null ? scale : quick ? 7 : 70,
                branches != null ? branches : quick ? 5 : 20, out, base);
    }

    Path logs() {
        return out.resolve("logs");
    }
}
