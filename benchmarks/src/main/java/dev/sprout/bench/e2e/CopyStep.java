package dev.sprout.bench.e2e;

import dev.sprout.bench.branch.UsableBranch;
import dev.sprout.bench.compute.NativeCluster;
import dev.sprout.bench.kit.Progress;
import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.protocol.BranchName;
import dev.sprout.storage.timeline.BranchPoint;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Step {@code copy}: on one dataset, Sprout's branch against the three ways of copying a database natively,
 * side by side in one run.
 * <ol>
 *   <li>Sprout, on a clone of the dataset's store with main's compute not running, the API driven by curl
 *       ({@link CurlCreates}) as a script drives it: 50 creates not counted (warm-up); then {@code creates} ×
 *       {@code POST /v1/branches}, each by a new curl process and so a new connection; as many by one curl on one
 *       kept connection, as a harness or service scripting the API would; each timed by curl from the start of
 *       its request to the end of its 201. As many by {@code ControlPlane.create} in this JVM, no HTTP. Then
 *       {@code firstQueries} × {@link UsableBranch} (create, then pgjdbc through the proxy naming the
 *       branch: the wake-up starts its compute; {@code SELECT 1}; compute stopped afterwards, untimed). Store
 *       bytes: the store directory once settled ({@link SproutRun#settle}: flushed, no compaction running or
 *       owed) minus before, around the creates only, and the sum
 *       of the new timelines' own bytes ({@code TimelineInfo.physicalBytes}).</li>
 *   <li>Natively ({@link NativeCopies}), on the dataset's cluster: each method {@code baselineSamples} times,
 *       the methods interleaved.</li>
 * </ol>
 */
record CopyStep(E2eSettings s, PostgresInstall install, Path work) {
    /** What one dataset gave. */
    record Result(
            Dataset.Ready dataset,
            List<Double> createMs,
            List<Double> keptMs,
            List<Double> inProcessMs,
            List<UsableBranch.Sample> firstQueries,
            long storeBytesAdded,
            long timelineBytesAdded,
            Map<NativeCopies.Method, List<NativeCopies.Copy>> copies) {

        double createP50() {
            return Stats.percentile(createMs, 50);
        }

        double createP99() {
            return Stats.percentile(createMs, 99);
        }

        double keptP50() {
            return Stats.percentile(keptMs, 50);
        }

        double keptP99() {
            return Stats.percentile(keptMs, 99);
        }

        List<Double> firstQueryMs() {
            return firstQueries.stream().map(UsableBranch.Sample::totalMs).toList();
        }

        double median(NativeCopies.Method m, boolean toFirstQuery) {
            return Stats.median(copies.getOrDefault(m, List.of()).stream()
                    .map(c -> toFirstQuery ? c.firstQueryMs() : c.copyMs())
                    .toList());
        }

        double medianBytes(NativeCopies.Method m) {
            return Stats.median(copies.getOrDefault(m, List.of()).stream()
                    .map(c -> (double) c.bytesAdded())
                    .toList());
        }
    }

    private static final int WARMUP_CREATES = 50;

    Result run(Dataset.Ready d) throws SQLException {
        List<Double> creates = new ArrayList<>();
        List<Double> kept = new ArrayList<>();
        List<Double> inProcess = new ArrayList<>();
        List<UsableBranch.Sample> first = new ArrayList<>();
        long storeAdded;
        long timelineAdded = 0;
        try (SproutRun r = SproutRun.open(d, work)) {
            int port = r.stack.pageserver.httpPort();
            String token = r.stack.pageserver.credentials().admin().value();
            CurlCreates.keptConnection(port, token, names("warm-", WARMUP_CREATES), n -> {});
            r.settle();
            BenchEnv.settleDisk();
            long before = r.storeBytes();
            for (int i = 1; i <= s.creates(); i++) {
                creates.add(CurlCreates.newConnection(port, token, "c-" + i));
                if (i % 50 == 0 || i == s.creates()) {
                    BenchEnv.log(
                            "  scale %d: %d/%d creates, p50 so far %.2f ms",
                            d.scale(), i, s.creates(), Stats.percentile(creates, 50));
                }
            }
            r.settle();
            storeAdded = r.storeBytes() - before;
            for (int i = 1; i <= s.creates(); i++) {
                timelineAdded += r.stack.control.get("c-" + i).timeline().physicalBytes();
            }
            kept.addAll(CurlCreates.keptConnection(port, token, names("k-", s.creates()), n -> {}));
            BenchEnv.log(
                    "  scale %d: %d creates on one kept connection, p50 %.2f ms, p99 %.2f ms",
                    d.scale(), s.creates(), Stats.percentile(kept, 50), Stats.percentile(kept, 99));
            for (int i = 1; i <= s.creates(); i++) {
                long t = System.nanoTime();
                r.stack.control.create("d-" + i, BranchName.MAIN, new BranchPoint.Head());
                inProcess.add((System.nanoTime() - t) / 1e6);
            }
            BenchEnv.settleDisk();
            UsableBranch usable = new UsableBranch(r.stack, d.password(), d.scale());
            usable.measure("q-warm");
            for (int i = 1; i <= s.firstQueries(); i++) {
                first.add(usable.measure("q-" + i));
            }
        }
        Map<NativeCopies.Method, List<NativeCopies.Copy>> copies = new EnumMap<>(NativeCopies.Method.class);
        Path logs = s.logs().resolve("copies");
        try (NativeCluster cluster = new NativeCluster(install, d.nativeDir(), d.password())) {
            cluster.start();
            NativeCopies n = new NativeCopies(install, cluster, d.password(), work, logs);
            n.dropLeftovers();
            int samples = s.baselineSamples(d.scale());
            for (int i = 1; i <= samples; i++) {
                for (NativeCopies.Method m : NativeCopies.Method.values()) {
                    String name = "e2e_" + m.slug().replace('-', '_') + "_" + i;
                    BenchEnv.settleDisk();
                    NativeCopies.Copy c = Progress.during(
                            "scale " + d.scale() + ": " + m.label + " " + i + "/" + samples, null, () -> {
                                try {
                                    return switch (m) {
                                        case TEMPLATE -> n.template(name);
                                        case DUMP_RESTORE -> n.dumpRestore(name);
                                        case BASEBACKUP -> n.basebackup(name);
                                    };
                                } catch (SQLException e) {
                                    throw new IllegalStateException(m.label + ": " + e.getMessage(), e);
                                }
                            });
                    copies.computeIfAbsent(m, k -> new ArrayList<>()).add(c);
                    BenchEnv.log(
                            "  scale %d: %s %d/%d: copy %.0f ms, to first query %.0f ms, %,d bytes added",
                            d.scale(), m.label, i, samples, c.copyMs(), c.firstQueryMs(), c.bytesAdded());
                }
            }
        }
        return new Result(d, creates, kept, inProcess, first, storeAdded, timelineAdded, copies);
    }

    /** prefix1 … prefixN. */
    static List<String> names(String prefix, int n) {
        List<String> out = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            out.add(prefix + i);
        }
        return out;
    }
}
