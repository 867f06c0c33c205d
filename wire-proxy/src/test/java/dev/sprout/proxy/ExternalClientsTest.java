package dev.sprout.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** psql and pgbench (libpq) through the proxy to real computes. */
@ExtendWith(ProxyFixture.Resolver.class)
class ExternalClientsTest {

    /** Runs a PostgreSQL client tool with libpq's environment; returns its exit code and output. */
    private static Result run(ProxyFixture fx, Map<String, String> env, String tool, String... args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(fx.install.tool(tool).toString());
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("PGPASSWORD", ProxyFixture.PASSWORD);
        pb.environment().put("PGCONNECT_TIMEOUT", "30");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(tool + " did not finish: " + out);
        }
        return new Result(p.exitValue(), out);
    }

    private record Result(int exit, String output) {}

    private static String psql(ProxyFixture fx, String conninfo, String sql) throws Exception {
        Result r = run(fx, Map.of(), "psql", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", conninfo, "-c", sql);
        assertEquals(0, r.exit(), r.output());
        return r.output().strip();
    }

    private static String conninfo(ProxyFixture fx, String extra) {
        return "host=127.0.0.1 port=" + fx.proxy.port() + " user=postgres dbname=postgres " + extra;
    }

    @Test
    void psqlWithAndWithoutTls(ProxyFixture fx) throws Exception {
        assertEquals("main", psql(fx, conninfo(fx, "sslmode=disable"), "SELECT name FROM marker"));
        assertEquals(
                "feature", psql(fx, conninfo(fx, "sslmode=require options=branch=feature"), "SELECT name FROM marker"));
        // libpq's default, sslmode=prefer, picks TLS because the proxy offers it.
        assertEquals("feature", psql(fx, conninfo(fx, "dbname=postgres@feature"), "SELECT name FROM marker"));
    }

    @Test
    void psqlNamesTheBranchByTheTlsServerName(ProxyFixture fx) throws Exception {
        // libpq sends host as the SNI name and connects to hostaddr: feature.localhost needs no DNS entry.
        String sni = "host=feature.localhost hostaddr=127.0.0.1 port=" + fx.proxy.port()
                + " user=postgres dbname=postgres sslmode=require";
        assertEquals("feature", psql(fx, sni, "SELECT name FROM marker"));
        Result conflict = run(fx, Map.of(), "psql", "-X", "-d", sni + " options=branch=main", "-c", "SELECT 1");
        assertTrue(conflict.exit() != 0, conflict.output());
        assertTrue(
                conflict.output()
                        .contains(
                                "the connection names two branches: \"main\" (options) and \"feature\" (TLS server name)"),
                conflict.output());
    }

    @Test
    void psqlShowsTheUnknownBranchError(ProxyFixture fx) throws Exception {
        Result r = run(fx, Map.of(), "psql", "-X", "-d", conninfo(fx, "options=branch=nope"), "-c", "SELECT 1");
        assertEquals(2, r.exit(), r.output()); // psql: "the connection to the server went bad"
        assertTrue(r.output().contains("FATAL:  branch \"nope\" does not exist"), r.output());
    }

    @Test
    void pgbenchThroughTheProxy(ProxyFixture fx) throws Exception {
        Map<String, String> env = Map.of(
                "PGHOST",
                "127.0.0.1",
                "PGPORT",
                Integer.toString(fx.proxy.port()),
                "PGUSER",
                "postgres",
                "PGDATABASE",
                "postgres",
                "PGOPTIONS",
                "branch=feature");
        Result init = run(fx, env, "pgbench", "-i", "-s", "1", "-q");
        assertEquals(0, init.exit(), init.output());
        for (String sslmode : new String[] {"disable", "require"}) {
            Result bench = run(
                    fx,
                    Map.of(
                            "PGHOST",
                            "127.0.0.1",
                            "PGPORT",
                            Integer.toString(fx.proxy.port()),
                            "PGUSER",
                            "postgres",
                            "PGDATABASE",
                            "postgres",
                            "PGOPTIONS",
                            "branch=feature",
                            "PGSSLMODE",
                            sslmode),
                    "pgbench",
                    "-c",
                    "4",
                    "-j",
                    "2",
                    "-T",
                    "5",
                    "-M",
                    "prepared",
                    "-n");
            assertEquals(0, bench.exit(), bench.output());
            Matcher processed = Pattern.compile("number of transactions actually processed: (\\d+)")
                    .matcher(bench.output());
            assertTrue(processed.find(), bench.output());
            assertTrue(Long.parseLong(processed.group(1)) > 100, bench.output());
            assertTrue(bench.output().contains("number of failed transactions: 0 "), bench.output());
        }
        // The tables went to the branch, not to main.
        assertEquals(
                "100000", psql(fx, conninfo(fx, "options=branch=feature"), "SELECT count(*) FROM pgbench_accounts"));
        assertEquals("", psql(fx, conninfo(fx, "options=branch=main"), "SELECT to_regclass('pgbench_accounts')"));
    }
}
