package dev.sprout.proxy;

import dev.sprout.compute.Compute;
import dev.sprout.compute.ComputeSpec;
import dev.sprout.compute.postgres.PostgresInstall;
import dev.sprout.pageserver.Pageserver;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.tls.TlsSettings;
import dev.sprout.proxy.wake.Endpoints;
import dev.sprout.proxy.wake.WakeResult;
import dev.sprout.storage.timeline.TimelineId;
import dev.sprout.testkit.Ports;
import dev.sprout.testkit.Sql;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Real computes behind a real proxy, made once per test JVM and shared by the test classes that ask for it (as a
 * parameter, through {@link Resolver}): a pageserver in this JVM, {@code main} (initdb) and its branch
 * {@code feature}, each a PostgreSQL compute on a FUSE mount, and a {@link WireProxy} with a self-signed certificate
 * routing to them. Each branch has a table {@code marker} whose one row names the branch, so a query tells where a
 * connection landed. Tests may add branch names with their own answers ({@link #endpoint}).
 */
public final class ProxyFixture implements AutoCloseable {
    public static final String PASSWORD = "proxy-test-password";

    final Path base;
    final Pageserver pageserver;
    final Compute main;
    final Compute feature;
    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final WireProxy proxy;
    final PostgresInstall install = PostgresInstall.locate();
    private final Map<String, Endpoints> extra = new ConcurrentHashMap<>();

    private ProxyFixture() throws Exception {
        base = Files.createDirectories(Path.of("/tmp", "sprout-proxy-test-" + UUID.randomUUID()));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        pageserver = Pageserver.start(
                PageserverConfig.defaults(base.resolve("pages")).withEphemeralPorts());
        TimelineId mainId = TimelineId.random();
        pageserver.store().createRoot(mainId, 0, 0);
        main = Compute.start(spec(mainId, "main"), true);
        try (Connection c = direct(main)) {
            Sql.exec(c, "CREATE TABLE marker (name text)");
            Sql.exec(c, "INSERT INTO marker VALUES ('main')");
        }
        TimelineId featureId = TimelineId.random();
        pageserver.store().branch(featureId, mainId, main.checkpointForBranch());
        feature = Compute.start(spec(featureId, "feature"), false);
        try (Connection c = direct(feature)) {
            Sql.exec(c, "UPDATE marker SET name = 'feature'");
        }
        proxy = WireProxy.start(
                ProxyConfig.defaults(0, new TlsSettings.SelfSigned(base.resolve("tls"))),
                this::wake,
                registry); // no fast path (Endpoints.now): every connection takes the wake-up's thread
    }

    private WakeResult wake(String branch) throws InterruptedException {
        Endpoints e = extra.get(branch);
        if (e != null) {
            return e.wake(branch);
        }
        return switch (branch) {
            case "main" -> new WakeResult.Ready(new InetSocketAddress("127.0.0.1", main.port()));
            case "feature" -> new WakeResult.Ready(new InetSocketAddress("127.0.0.1", feature.port()));
            default -> new WakeResult.NoSuchBranch();
        };
    }

    /** Makes {@code branch} answer with {@code endpoints} (until the JVM ends; use a name unique to the test). */
    void endpoint(String branch, Endpoints endpoints) {
        extra.put(branch, endpoints);
    }

    private ComputeSpec spec(TimelineId timeline, String name) {
        return ComputeSpec.of(
                        "127.0.0.1",
                        pageserver.pagePort(),
                        timeline.toString(),
                        base.resolve(name),
                        Ports.free(),
                        PASSWORD)
                .withPageserverCredential(pageserver.credentials().pageService().value());
    }

    /** A pgjdbc connection through the proxy: {@code url} is what follows {@code jdbc:postgresql://127.0.0.1:PORT/}. */
    Connection viaProxy(String url, Properties extraProperties) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", "postgres");
        p.setProperty("password", PASSWORD);
        p.setProperty("sslmode", "disable");
        p.putAll(extraProperties);
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + proxy.port() + "/" + url, p);
    }

    Connection viaProxy(String url) throws SQLException {
        return viaProxy(url, new Properties());
    }

    static Connection direct(Compute c) throws SQLException {
        return Sql.connect(c.port(), PASSWORD);
    }

    @Override
    public void close() {
        proxy.close();
        feature.close();
        main.close();
        pageserver.close();
        try (Stream<Path> walk = Files.walk(base)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a leftover directory in /tmp harms nothing
        }
    }

    /** Resolves a {@link ProxyFixture} parameter to the one instance of this JVM, closed when all tests are done. */
    public static final class Resolver implements ParameterResolver {
        @Override
        public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
            return parameter.getParameter().getType() == ProxyFixture.class;
        }

        @Override
        public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
            return context.getRoot()
                    .getStore(ExtensionContext.Namespace.GLOBAL)
                    .getOrComputeIfAbsent(
                            ProxyFixture.class,
                            k -> {
                                try {
                                    return new ProxyFixture();
                                } catch (Exception e) {
                                    throw new IllegalStateException(
                                            "cannot start the computes and the proxy: " + e.getMessage(), e);
                                }
                            },
                            ProxyFixture.class);
        }
    }
}
