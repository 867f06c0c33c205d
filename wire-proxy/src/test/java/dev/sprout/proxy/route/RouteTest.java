package dev.sprout.proxy.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.proxy.error.ProxyError;
import dev.sprout.proxy.error.SqlState;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;

class RouteTest {
    private static final String DOMAIN = "localhost";

    // ---- options ------------------------------------------------------------------------------------------------

    @Test
    void aBranchOptionAloneIsTakenOutWithTheOptionsParameter() {
        Route route = route(params("user", "alice", "options", "branch=feature-x"), null);
        assertEquals("feature-x", route.branch());
        assertEquals(Route.Source.OPTIONS, route.source());
        assertEquals(params("user", "alice"), route.forwarded());
    }

    @Test
    void otherOptionsAreForwardedWithTheirEscapes() {
        Route route = route(params("user", "alice", "options", "-c search_path=a\\ b branch=x -c work_mem=64MB"), null);
        assertEquals("x", route.branch());
        assertEquals(params("user", "alice", "options", "-c search_path=a\\ b -c work_mem=64MB"), route.forwarded());
    }

    @Test
    void dashCBranchTakesTheDashCWithIt() {
        assertEquals("-c work_mem=1", forwardedOptions("-c branch=x -c work_mem=1"));
        assertEquals("-c search_path=a", forwardedOptions("-c search_path=a -c branch=x"));
        assertEquals(null, forwardedOptions("-c branch=x"));
    }

    @Test
    void anEscapedSpaceDoesNotStartABranchToken() {
        // "a\ branch=x" is one token (the value of search_path), not a branch option.
        Route route = route(params("user", "u", "options", "-c search_path=a\\ branch=x"), null);
        assertEquals(Route.DEFAULT_BRANCH, route.branch());
        assertEquals("-c search_path=a\\ branch=x", route.forwarded().get("options"));
    }

    @Test
    void optionsWithoutABranchAreForwardedAsTheirTokens() {
        assertEquals("-c a=1 -c b=2", forwardedOptions("-c a=1 -c b=2"));
        assertEquals("--search_path=x\\\\y", forwardedOptions("--search_path=x\\\\y"));
    }

    @Test
    void tokensSplitLikePostgres() {
        assertEquals(List.of("-c", "a=b\\ c", "d"), Route.tokens("  -c\ta=b\\ c\n d  "));
        assertEquals(List.of("x\\"), Route.tokens("x\\"), "a trailing backslash stays");
        assertEquals(List.of(), Route.tokens("   "));
    }

    @Test
    void twoBranchOptionsThatDisagree() {
        conflict(
                params("user", "u", "options", "branch=a branch=b"),
                null,
                "the connection names two branches: \"a\" (options) and \"b\" (options)");
        assertEquals(
                "a",
                route(params("user", "u", "options", "branch=a -c branch=a"), null)
                        .branch());
    }

    @Test
    void anInvalidNameInTheOptions() {
        ProxyError e = assertThrows(ProxyError.class, () -> route(params("options", "branch=Bad!"), null));
        assertEquals(SqlState.INVALID_NAME, e.state());
        assertEquals("invalid branch name \"Bad!\" in the options", e.getMessage());
    }

    // ---- database name ------------------------------------------------------------------------------------------

    @Test
    void databaseAtBranch() {
        Route route = route(params("user", "u", "database", "db@x", "application_name", "psql"), null);
        assertEquals("x", route.branch());
        assertEquals(Route.Source.DATABASE, route.source());
        assertEquals(
                params("user", "u", "database", "db", "application_name", "psql"), route.forwarded(), "order kept");
        assertEquals(
                List.of("user", "database", "application_name"),
                List.copyOf(route.forwarded().keySet()));
    }

    @Test
    void atBranchAloneLeavesNoDatabase() {
        Route route = route(params("user", "u", "database", "@x"), null);
        assertEquals("x", route.branch());
        assertEquals(params("user", "u"), route.forwarded());
    }

    @Test
    void theLastAtSeparatesTheBranch() {
        Route route = route(params("database", "a@b@c"), null);
        assertEquals("c", route.branch());
        assertEquals("a@b", route.forwarded().get("database"));
    }

    @Test
    void aDatabaseWithoutAtIsForwardedAsIs() {
        Route route = route(params("user", "u", "database", "db"), null);
        assertEquals(Route.DEFAULT_BRANCH, route.branch());
        assertEquals(params("user", "u", "database", "db"), route.forwarded());
    }

    @Test
    void anEmptyBranchAfterTheAt() {
        ProxyError e = assertThrows(ProxyError.class, () -> route(params("database", "db@"), null));
        assertEquals(SqlState.INVALID_NAME, e.state());
        assertEquals("invalid branch name \"\" in the database name", e.getMessage());
    }

    // ---- a branch as it was -------------------------------------------------------------------------------------

    @Test
    void aPointInTheOptionsIsCanonical() {
        assertEquals(
                "main@2026-12-06T10:00:00Z",
                route(params("options", "branch=main@2026-12-06T11:00:00+01:00"), null)
                        .branch());
        assertEquals(
                "team/x@lsn:12345",
                route(params("options", "branch=team/x@lsn:12345"), null).branch());
    }

    @Test
    void aPointInTheDatabaseName() {
        Route route = route(params("database", "shop@main@2026-12-06T10:00:00Z"), null);
        assertEquals("main@2026-12-06T10:00:00Z", route.branch());
        assertEquals("shop", route.forwarded().get("database"));
        Route lsn = route(params("database", "shop@main@lsn:77"), null);
        assertEquals("main@lsn:77", lsn.branch());
        assertEquals("shop", lsn.forwarded().get("database"));
        Route noDb = route(params("user", "u", "database", "@main@lsn:77"), null);
        assertEquals("main@lsn:77", noDb.branch());
        assertEquals(params("user", "u"), noDb.forwarded());
    }

    @Test
    void aPointThatIsNotOneIsRefusedSayingWhy() {
        for (String bad : List.of(
                "main@yesterday",
                "main@lsn:",
                "main@lsn:-4",
                "main@lsn:0",
                "Main@lsn:4",
                "main@2026-12-06T10:00:00",
                "main@lsn:99999999999999999999")) {
            ProxyError e = assertThrows(ProxyError.class, () -> route(params("options", "branch=" + bad), null), bad);
            assertEquals(SqlState.INVALID_NAME, e.state());
            assertTrue(
                    e.getMessage().startsWith("invalid branch target \"" + bad + "\" in the options: "),
                    e.getMessage());
        }
    }

    @Test
    void thePointAndTheHeadOfOneBranchAreTwoTargets() {
        ProxyError e = assertThrows(
                ProxyError.class, () -> route(params("options", "branch=main@lsn:5", "database", "db@main"), null));
        assertEquals(SqlState.INVALID_PARAMETER_VALUE, e.state());
    }

    // ---- TLS server name ----------------------------------------------------------------------------------------

    @Test
    void serverNameUnderTheDomain() {
        Route route = route(params("user", "u"), "x.localhost");
        assertEquals("x", route.branch());
        assertEquals(Route.Source.SERVER_NAME, route.source());
        assertEquals(params("user", "u"), route.forwarded(), "nothing to take out of the parameters");
        assertEquals(
                Optional.of("feature-x"),
                Route.label("Feature-X.LOCALHOST", DOMAIN),
                "host names are case-insensitive");
        assertEquals(Optional.of("a"), Route.label("a.b.localhost", DOMAIN), "the first label");
    }

    @Test
    void serverNamesThatDoNotRoute() {
        for (String host : List.of(
                "localhost", "example.com", "x.example.com", "xlocalhost", "x.localhost.example.com", "127.0.0.1")) {
            assertEquals(Optional.empty(), Route.label(host, DOMAIN), host);
            Route route = route(params("user", "u"), host);
            assertEquals(Route.DEFAULT_BRANCH, route.branch(), host);
            assertEquals(Route.Source.DEFAULT, route.source(), host);
        }
    }

    @Test
    void anInvalidLabelInTheServerName() {
        ProxyError e = assertThrows(ProxyError.class, () -> route(params(), "under_score!.localhost"));
        assertEquals(SqlState.INVALID_NAME, e.state());
        assertEquals("invalid branch name \"under_score!\" in the TLS server name", e.getMessage());
    }

    // ---- sources together --------------------------------------------------------------------------------------

    @Test
    void noSourceMeansMain() {
        Route route = route(params("user", "u"), null);
        assertEquals("main", route.branch());
        assertEquals(Route.Source.DEFAULT, route.source());
        assertEquals(params("user", "u"), route.forwarded());
    }

    @Test
    void sourcesThatAgree() {
        Route route = route(params("user", "u", "options", "branch=x", "database", "db@x"), "x.localhost");
        assertEquals("x", route.branch());
        assertEquals(Route.Source.OPTIONS, route.source());
        assertEquals(params("user", "u", "database", "db"), route.forwarded());
    }

    @Test
    void optionsAgainstServerName() {
        conflict(
                params("options", "branch=a"),
                "b.localhost",
                "the connection names two branches: \"a\" (options) and \"b\" (TLS server name)");
    }

    @Test
    void optionsAgainstDatabase() {
        conflict(
                params("options", "branch=a", "database", "db@b"),
                null,
                "the connection names two branches: \"a\" (options) and \"b\" (database name)");
    }

    @Test
    void serverNameAgainstDatabase() {
        conflict(
                params("database", "db@b"),
                "a.localhost",
                "the connection names two branches: \"a\" (TLS server name) and \"b\" (database name)");
    }

    // ---- branch names -------------------------------------------------------------------------------------------

    @Test
    void branchNameRules() {
        for (String ok : List.of("a", "0", "feature-x", "team/feature_1", "a".repeat(63), "9-lives")) {
            assertEquals(ok, Route.requireBranch(ok, "options"), ok);
        }
        for (String bad : List.of("", "a".repeat(64), "Main", "-x", "_x", "/x", "a b", "a.b", "é", "a\u0000b")) {
            ProxyError e = assertThrows(ProxyError.class, () -> Route.requireBranch(bad, "options"), bad);
            assertEquals(SqlState.INVALID_NAME, e.state(), bad);
        }
    }

    @Test
    void anInvalidNameIsShownPrintably() {
        ProxyError e = assertThrows(ProxyError.class, () -> Route.requireBranch("a\u0001b", "database name"));
        assertEquals("invalid branch name \"a\\x01b\" in the database name", e.getMessage());
        assertEquals(
                Optional.of("A branch name has 1 to 63 lowercase letters, digits, '-', '_' or '/', "
                        + "starting with a letter or digit."),
                e.hint());
        ProxyError longName = assertThrows(ProxyError.class, () -> Route.requireBranch("b".repeat(100), "options"));
        assertEquals("invalid branch name \"" + "b".repeat(80) + "...\" in the options", longName.getMessage());
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static Route route(Map<String, String> parameters, String serverName) {
        return Route.of(parameters, Optional.ofNullable(serverName), DOMAIN);
    }

    private static String forwardedOptions(String options) {
        return route(params("user", "u", "options", options), null).forwarded().get("options");
    }

    private static void conflict(Map<String, String> parameters, String serverName, String message) {
        ProxyError e = assertThrows(ProxyError.class, () -> route(parameters, serverName));
        assertEquals(SqlState.INVALID_PARAMETER_VALUE, e.state());
        assertEquals(message, e.getMessage());
        assertEquals(Optional.of("Name the branch in one place only."), e.hint());
    }

    private static SequencedMap<String, String> params(String... namesAndValues) {
        SequencedMap<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            m.put(namesAndValues[i], namesAndValues[i + 1]);
        }
        return m;
    }
}
