package dev.sprout.bench.e2e;

import dev.sprout.bench.branch.BranchStack;
import dev.sprout.bench.compute.NativeCluster;
import dev.sprout.bench.compute.Pgbench;
import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.kit.Progress;
import dev.sprout.bench.storage.dataset.EngineFingerprint;
import dev.sprout.bench.support.BenchEnv;
import dev.sprout.compute.Compute;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.protocol.BranchName;
import dev.sprout.testkit.Sql;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Properties;

/**
 * A pgbench database of one scale, kept twice under {@code <root>/s<scale>/} and reused by later runs:
 * <ul>
 *   <li>{@code store/}: a Sprout pageserver's data directory whose branch {@code main} holds the database (main's
 *       compute started with initdb through the control plane, {@code pgbench -i -s scale} through its own port,
 *       {@code CHECKPOINT}, compute stopped, pageserver closed);</li>
 *   <li>{@code native/data}: a PostgreSQL cluster on local disk with the same data, for the baselines
 *       (initdb and server by the compute package's code, the compute benchmark's settings, stopped).</li>
 * </ul>
 * Both databases are {@code postgres}, the superuser's password is the dataset's own (in the marker, mode 0600:
 * it was fixed at initdb). The marker {@value #MARKER} is written last, atomically: it records the layout version
 * {@value #FORMAT}, the scale, PostgreSQL's major version and the storage engine's fingerprint; a dataset whose
 * marker is missing or differs is deleted and built again. Runs never write to a dataset: Sprout runs open a
 * clone of the store ({@link SproutRun}), the baselines drop what they create and copy the cluster elsewhere.
 */
final class Dataset {
    static final int FORMAT = 1;
    static final String MARKER = "COMPLETE";

    /**
     * A ready dataset.
     *
     * @param dbBytes    {@code pg_database_size('postgres')} on main after the load
     * @param reused     whether this run found it ready (else it built it)
     * @param sproutLoad {@code pgbench -i} through main's compute, when it was built
     * @param nativeLoad {@code pgbench -i} on the native cluster, when it was built
     */
    record Ready(
            int scale,
            Path dir,
            String password,
            long dbBytes,
            boolean reused,
            Duration sproutLoad,
            Duration nativeLoad,
            Instant built) {
        Path store() {
            return dir.resolve("store");
        }

        Path nativeDir() {
            return dir.resolve("native");
        }
    }

    private Dataset() {}

    static Ready prepare(int scale, Path root, PostgresInstall install, Path logs) throws SQLException {
        Path dir = root.resolve("s" + scale);
        Path marker = dir.resolve(MARKER);
        if (Files.exists(marker)) {
            try {
                Properties p = load(marker);
                if (valid(p, scale, install)
                        && Files.isDirectory(dir.resolve("store"))
                        && Files.exists(dir.resolve("native").resolve("data").resolve("PG_VERSION"))) {
                    BenchEnv.log("dataset scale %d: reusing %s (built %s)", scale, dir, p.getProperty("built"));
                    return new Ready(
                            scale,
                            dir,
                            p.getProperty("password"),
                            Long.parseLong(p.getProperty("dbBytes")),
                            true,
                            Duration.ofMillis(Long.parseLong(p.getProperty("sproutLoadMs"))),
                            Duration.ofMillis(Long.parseLong(p.getProperty("nativeLoadMs"))),
                            Instant.parse(p.getProperty("built")));
                }
                BenchEnv.log(
                        "dataset scale %d: marker %s does not match this build (%s); building it again",
                        scale, marker, p);
            } catch (IOException | RuntimeException e) {
                BenchEnv.log("dataset scale %d: unreadable marker %s (%s); building it again", scale, marker, e);
            }
        }
        BenchEnv.deleteTree(dir);
        Harness.traversableDir(dir);
        String password = newPassword();
        Pgbench pgbench = new Pgbench(install, password, logs.resolve("pgbench"));

        BenchEnv.log("dataset scale %d: building the Sprout store in %s", scale, dir.resolve("store"));
        Path build = Harness.traversableDir(dir.resolve("build"));
        long dbBytes;
        Duration sproutLoad;
        try (BranchStack stack = BranchStack.start(build, password)) {
            stack.control.wake(BranchName.MAIN);
            Compute main = stack.control.compute(BranchName.MAIN).orElseThrow();
            sproutLoad = Progress.during(
                    "dataset scale " + scale + ", Sprout load",
                    logs.resolve("pgbench").resolve("load-sprout-s" + scale + ".txt"),
                    () -> pgbench.init("load-sprout-s" + scale, main.port(), scale));
            try (Connection c = main.connect()) {
                dbBytes = Long.parseLong(Sql.queryString(c, "SELECT pg_database_size('postgres')"));
                Sql.exec(c, "CHECKPOINT");
            }
            stack.control.stop(BranchName.MAIN);
        }
        move(build.resolve("pages"), dir.resolve("store"));
        BenchEnv.deleteTree(build);
        BenchEnv.log(
                "dataset scale %d: Sprout store ready (%s MiB database, loaded in %.1f s)",
                scale, dbBytes >> 20, sproutLoad.toMillis() / 1e3);

        BenchEnv.log("dataset scale %d: building the native cluster in %s", scale, dir.resolve("native"));
        Duration nativeLoad;
        try (NativeCluster cluster = new NativeCluster(install, dir.resolve("native"), password)) {
            cluster.initAndStart();
            nativeLoad = Progress.during(
                    "dataset scale " + scale + ", native load",
                    logs.resolve("pgbench").resolve("load-native-s" + scale + ".txt"),
                    () -> pgbench.init("load-native-s" + scale, cluster.port(), scale));
            try (Connection c = cluster.connect()) {
                Sql.exec(c, "CHECKPOINT");
            }
        }
        Instant built = Instant.now();
        Properties p = expected(scale, install);
        p.setProperty("password", password);
        p.setProperty("dbBytes", Long.toString(dbBytes));
        p.setProperty("sproutLoadMs", Long.toString(sproutLoad.toMillis()));
        p.setProperty("nativeLoadMs", Long.toString(nativeLoad.toMillis()));
        p.setProperty("built", built.toString());
        writeMarker(marker, p);
        BenchEnv.log("dataset scale %d: ready (native load %.1f s)", scale, nativeLoad.toMillis() / 1e3);
        return new Ready(scale, dir, password, dbBytes, false, sproutLoad, nativeLoad, built);
    }

    private static boolean valid(Properties p, int scale, PostgresInstall install) {
        Properties want = expected(scale, install);
        for (String k : want.stringPropertyNames()) {
            if (!Objects.equals(want.getProperty(k), p.getProperty(k))) {
                return false;
            }
        }
        return p.getProperty("password") != null
                && p.getProperty("dbBytes") != null
                && p.getProperty("built") != null
                && p.getProperty("sproutLoadMs") != null
                && p.getProperty("nativeLoadMs") != null;
    }

    private static Properties expected(int scale, PostgresInstall install) {
        Properties p = new Properties();
        p.setProperty("format", Integer.toString(FORMAT));
        p.setProperty("scale", Integer.toString(scale));
        p.setProperty("postgres", Integer.toString(install.majorVersion()));
        p.setProperty("engine", EngineFingerprint.current());
        return p;
    }

    private static Properties load(Path marker) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(marker)) {
            p.load(in);
        }
        return p;
    }

    private static void writeMarker(Path marker, Properties p) {
        Path tmp = marker.resolveSibling(MARKER + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (var out = Files.newBufferedWriter(tmp)) {
                p.store(out, "sprout e2e benchmark dataset; written last: the dataset is complete");
            }
            Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + marker, e);
        }
    }

    private static void move(Path from, Path to) {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot move " + from + " to " + to, e);
        }
    }

    /** The superuser's password of a new dataset: fixed at its initdb, kept in its marker. */
    private static String newPassword() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return "bench-" + HexFormat.of().formatHex(b);
    }
}
