package dev.sprout.bench.compute;

import dev.sprout.bench.kit.Cpu;
import dev.sprout.bench.kit.Fmt;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.kit.Report;
import dev.sprout.bench.kit.Stats;
import dev.sprout.bench.kit.Table;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.fs.FsOptions;
import dev.sprout.compute.fs.FsStats;
import dev.sprout.compute.fs.PageFs;
import dev.sprout.compute.fuse.TimelineMount;
import dev.sprout.compute.postgres.Initdb;
import dev.sprout.protocol.client.AttachMode;
import dev.sprout.protocol.client.ClientOptions;
import dev.sprout.protocol.client.PageClient;
import dev.sprout.protocol.client.PageSession;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.Sql;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * initdb through a mount of a new, empty root timeline (mounted here as the agent mounts it: a {@link PageFs}
 * over an exclusive read-write session, {@link TimelineMount} with {@code allow_other} and the writeback cache)
 * against initdb on local disk, with the compute package's own {@link Initdb} (the agent's flags), run as the same
 * user. Four variants, rotated in each round: mount and local disk each with {@code --no-sync} (the agent's way;
 * on the mount it then commits everything with {@code PageFs.syncAll()}, timed apart) and without it (initdb's
 * default: an fsync per file, then a sync of the data directory).
 */
record InitdbBench(Env env) {
    private enum Variant {
        MOUNT_NOSYNC("mount, --no-sync, then `PageFs.syncAll()` (what the agent does)", true, true),
        LOCAL_NOSYNC("local disk, --no-sync", false, true),
        LOCAL_SYNC("local disk, fsync (initdb's default)", false, false),
        MOUNT_SYNC("mount, fsync (initdb's default)", true, false);

        final String label;
        final boolean mount;
        final boolean noSync;

        Variant(String label, boolean mount, boolean noSync) {
            this.label = label;
            this.mount = mount;
            this.noSync = noSync;
        }
    }

    /** One initdb: its own time, the commit after it (mount, --no-sync), the mount set-up and what the fs sent. */
    private record Sample(
            double initdbMs,
            double syncAllMs,
            double mountMs,
            long commits,
            long pagesCommitted,
            long fsyncs,
            long storeWrites,
            PageserverOps ops,
            Cpu.Window cpu) {
        Sample withCpu(Cpu.Window w) {
            return new Sample(initdbMs, syncAllMs, mountMs, commits, pagesCommitted, fsyncs, storeWrites, ops, w);
        }

        /** "6,887 (others 2%, lookup 397 µs)": the initdb's time, what other processes took, the server's lookups. */
        String cell() {
            String lookup = ops.count("lookup") == 0 ? "" : ", lookup " + Fmt.num(ops.meanUs("lookup")) + " µs";
            return Fmt.ms(initdbMs) + " (others " + Fmt.percent(cpu.others()) + lookup + ")";
        }

        double durableMs() {
            return initdbMs + (Double.isNaN(syncAllMs) ? 0 : syncAllMs);
        }
    }

    void run(Report report) throws Exception {
        int rounds = env.settings().initdbRounds();
        Variant[] variants = Variant.values();
        Map<Variant, List<Sample>> samples = new EnumMap<>(Variant.class);
        for (Variant v : variants) {
            samples.put(v, new ArrayList<>());
        }
        for (int round = 1; round <= rounds; round++) {
            for (int k = 0; k < variants.length; k++) {
                Variant v = variants[(k + round - 1) % variants.length];
                Path dir = Harness.traversableDir(
                        env.runDir().resolve("initdb").resolve(v.name().toLowerCase(Locale.ROOT) + "-" + round));
                Sample s;
                try {
                    var cpuBefore = Cpu.read();
                    s = v.mount ? onMount(dir, v.noSync) : onLocalDisk(dir, v.noSync);
                    s = s.withCpu(Cpu.between(cpuBefore, Cpu.read()));
                } finally {
                    BenchEnv.deleteOrLog(dir);
                }
                samples.get(v).add(s);
                BenchEnv.log(
                        "initdb round %d/%d, %s: %s ms%s; others' CPU %s%s",
                        round,
                        rounds,
                        v.label,
                        Fmt.ms(s.initdbMs()),
                        Double.isNaN(s.syncAllMs()) ? "" : " + syncAll " + Fmt.ms(s.syncAllMs()) + " ms",
                        Fmt.percent(s.cpu().others()),
                        s.ops().count("lookup") == 0
                                ? ""
                                : "; lookups " + s.ops().count("lookup") + " at "
                                        + Fmt.num(s.ops().meanUs("lookup")) + " µs in the server");
            }
        }
        report(report, samples);
    }

    private Sample onLocalDisk(Path dir, boolean noSync) {
        env.user().chown(dir);
        Duration took = new Initdb(
                        env.install(),
                        env.user(),
                        dir.resolve("data"),
                        Sql.SUPERUSER,
                        env.password(),
                        noSync,
                        List.of())
                .run();
        return new Sample(
                took.toNanos() / 1e6, Double.NaN, Double.NaN, 0, 0, 0, 0, new PageserverOps(Map.of()), Cpu.Window.NONE);
    }

    private Sample onMount(Path dir, boolean noSync) throws Exception {
        TimelineId timeline = TimelineId.random();
        env.pageserver().store().createRoot(timeline, 0, 0);
        long t = System.nanoTime();
        PageClient client = PageClient.connect(ClientOptions.defaults(
                        "127.0.0.1", env.pageserver().pagePort())
                .withCredential(env.pageserver().credentials().pageService().value()));
        PageSession session = null;
        TimelineMount mount = null;
        try {
            session = client.attach(timeline.toString(), AttachMode.exclusive()).get(60, TimeUnit.SECONDS);
            PageFs fs = new PageFs(
                    session, FsOptions.defaults(env.user().uid(), env.user().gid()));
            mount = TimelineMount.mount(
                    fs, dir.resolve("mnt"), timeline.toString(), new TimelineMount.Options(true, true));
            double mountMs = (System.nanoTime() - t) / 1e6;
            long writesBefore = env.pageserver().store().commitStats().writes();
            PageserverOps opsBefore = PageserverOps.read(env.pageserver());
            Duration took = new Initdb(
                            env.install(),
                            env.user(),
                            dir.resolve("mnt").resolve("pgdata"),
                            Sql.SUPERUSER,
                            env.password(),
                            noSync,
                            List.of())
                    .run();
            double syncAllMs = Double.NaN;
            if (noSync) {
                long s = System.nanoTime();
                fs.syncAll();
                syncAllMs = (System.nanoTime() - s) / 1e6;
            }
            FsStats st = fs.stats();
            long writes = env.pageserver().store().commitStats().writes() - writesBefore;
            return new Sample(
                    took.toNanos() / 1e6,
                    syncAllMs,
                    mountMs,
                    st.commits(),
                    st.pagesCommitted(),
                    st.fsyncs(),
                    writes,
                    PageserverOps.read(env.pageserver()).minus(opsBefore),
                    Cpu.Window.NONE);
        } finally {
            if (mount != null) {
                mount.close();
            }
            if (session != null) {
                session.detach().get(10, TimeUnit.SECONDS);
            }
            client.close();
            if (!env.settings().keepTimelines()) {
                env.pageserver().store().deleteTimeline(timeline);
            }
        }
    }

    private void report(Report report, Map<Variant, List<Sample>> samples) {
        Table table = new Table(
                "variant",
                "initdb, median ms>",
                "min–max ms>",
                "then `syncAll()`, median ms>",
                "durable, median ms>",
                "mount set-up, median ms>",
                "page commits>",
                "pages committed>",
                "fsyncs>",
                "pageserver synced writes>",
                "each round: initdb ms (others' CPU, mean server time of a lookup)");
        for (Variant v : Variant.values()) {
            List<Sample> s = samples.get(v);
            List<Double> initdb = s.stream().map(Sample::initdbMs).toList();
            List<Double> sync = s.stream()
                    .map(Sample::syncAllMs)
                    .filter(d -> !Double.isNaN(d))
                    .toList();
            List<Double> durable = s.stream().map(Sample::durableMs).toList();
            List<Double> mount = s.stream()
                    .map(Sample::mountMs)
                    .filter(d -> !Double.isNaN(d))
                    .toList();
            Sample last = s.getLast();
            table.row(
                    v.label,
                    Fmt.ms(Stats.median(initdb)),
                    Fmt.ms(Stats.min(initdb)) + "–" + Fmt.ms(Stats.max(initdb)),
                    sync.isEmpty() ? "–" : Fmt.ms(Stats.median(sync)),
                    v == Variant.LOCAL_NOSYNC ? "(not durable)" : Fmt.ms(Stats.median(durable)),
                    mount.isEmpty() ? "–" : Fmt.ms(Stats.median(mount)),
                    v.mount ? Fmt.count(last.commits()) : "–",
                    v.mount ? Fmt.count(last.pagesCommitted()) : "–",
                    v.mount ? Fmt.count(last.fsyncs()) : "–",
                    v.mount ? Fmt.count(last.storeWrites()) : "–",
                    String.join("; ", s.stream().map(Sample::cell).toList()));
        }
        double mountNoSync = median(samples, Variant.MOUNT_NOSYNC, Sample::initdbMs);
        double localNoSync = median(samples, Variant.LOCAL_NOSYNC, Sample::initdbMs);
        double mountDurable = median(samples, Variant.MOUNT_NOSYNC, Sample::durableMs);
        double localSync = median(samples, Variant.LOCAL_SYNC, Sample::initdbMs);
        double mountSync = median(samples, Variant.MOUNT_SYNC, Sample::initdbMs);
        report.section("#### initdb\n\n`Initdb.run()` (the compute package's: `-U postgres --auth-local=trust"
                + " --auth-host=scram-sha-256 -E UTF8 --no-locale`, as user postgres), "
                + env.settings().initdbRounds()
                + " round(s) of four variants, rotated. On the mount: a new root timeline ("
                + (env.settings().keepTimelines() ? "kept until the end" : "deleted after its round")
                + "), an exclusive session and a"
                + " `TimelineMount` made here as the agent makes them (mount set-up: connect, attach, mount). Counters are the last"
                + " round's: the `PageFs`'s page commits and fsyncs, and the pageserver store's synced writes (page commits"
                + " plus namespace changes: each create, mkdir, rename, unlink is a synced change before it returns).\n\n"
                + table.render() + "\nSame flags (--no-sync): mount ÷ local disk "
                + Fmt.ratio(mountNoSync / localNoSync) + " ("
                + Fmt.ms(mountNoSync) + " vs " + Fmt.ms(localNoSync) + " ms). Durable, the agent's way (--no-sync, then"
                + " `syncAll()`) ÷ local initdb with its own fsyncs: " + Fmt.ratio(mountDurable / localSync) + " ("
                + Fmt.ms(mountDurable) + " vs " + Fmt.ms(localSync) + " ms). initdb's fsyncs on the mount: "
                + Fmt.ms(mountSync) + " ms, " + Fmt.ratio(mountSync / mountNoSync) + " the --no-sync run.\n\n"
                + "Page-service requests of the last mount round with --no-sync (initdb and `syncAll()`), by operation (count,"
                + " mean time in the server): "
                + samples.get(Variant.MOUNT_NOSYNC).getLast().ops().summary() + ".\n");
    }

    private static double median(
            Map<Variant, List<Sample>> samples, Variant v, java.util.function.ToDoubleFunction<Sample> f) {
        return Stats.median(samples.get(v).stream().mapToDouble(f).boxed().toList());
    }
}
