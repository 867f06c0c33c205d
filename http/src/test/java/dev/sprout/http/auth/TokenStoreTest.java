package dev.sprout.http.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.testkit.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenStoreTest {
    private final ManualClock clock = new ManualClock(Instant.parse("2026-12-07T10:00:00Z"));

    @TempDir
    Path dir;

    @Test
    void aTokenAuthenticatesAsItsPrincipalUntilItExpiresAndIsKeptOnlyAsAHash() throws Exception {
        Path file = dir.resolve(TokenStore.FILE);
        TokenStore store = TokenStore.open(file, clock);
        TokenStore.Created made = store.create(
                "ci", Set.of(Scope.BRANCH_WRITE), new BranchPattern("pr-*"), Optional.of(Duration.ofHours(1)));
        assertTrue(made.secret().matches("spt_[0-9a-f]{12}_[A-Za-z0-9_-]{43}"), made.secret());
        var valid = assertInstanceOf(TokenStore.Authentication.Valid.class, store.authenticate(made.secret()));
        assertEquals(
                new Principal(made.token().getId(), "ci", Set.of(Scope.BRANCH_WRITE), new BranchPattern("pr-*")),
                valid.principal());
        assertFalse(Files.readString(file).contains(made.secret().substring(17)), "the secret is not kept");

        String altered = made.secret().substring(0, made.secret().length() - 1)
                + (made.secret().endsWith("A") ? "B" : "A");
        assertInstanceOf(TokenStore.Authentication.Unknown.class, store.authenticate(altered));
        assertInstanceOf(
                TokenStore.Authentication.Unknown.class,
                store.authenticate("spt_" + made.token().getId()));
        assertInstanceOf(TokenStore.Authentication.Unknown.class, store.authenticate("not-a-token"));

        clock.advance(Duration.ofMinutes(59));
        assertInstanceOf(TokenStore.Authentication.Valid.class, store.authenticate(made.secret()));
        clock.advance(Duration.ofMinutes(1));
        assertEquals(
                new TokenStore.Authentication.Expired(made.token().getId(), Instant.parse("2026-12-07T11:00:00Z")),
                store.authenticate(made.secret()));
    }

    @Test
    void tokensSurviveAReopenAndARevokeIsFinal() {
        Path file = dir.resolve(TokenStore.FILE);
        TokenStore store = TokenStore.open(file, clock);
        TokenStore.Created a = store.create("a", Set.of(Scope.READ), BranchPattern.ANY, Optional.empty());
        TokenStore.Created b = store.create("b", Set.of(Scope.ADMIN, Scope.READ), BranchPattern.ANY, Optional.empty());
        TokenStore reopened = TokenStore.open(file, clock);
        assertEquals(store.list(), reopened.list());
        assertEquals("a", reopened.list().getFirst().getName(), "oldest first");
        assertInstanceOf(TokenStore.Authentication.Valid.class, reopened.authenticate(b.secret()));

        assertEquals(Optional.of(a.token()), reopened.revoke(a.token().getId()));
        assertEquals(Optional.empty(), reopened.revoke(a.token().getId()));
        assertInstanceOf(TokenStore.Authentication.Unknown.class, reopened.authenticate(a.secret()));
        assertInstanceOf(
                TokenStore.Authentication.Unknown.class,
                TokenStore.open(file, clock).authenticate(a.secret()),
                "revoked for good");
        assertEquals(1, TokenStore.open(file, clock).list().size());
    }

    @Test
    void badInputIsRefusedWithASentenceAndAnUnreadableFileIsNamed() throws Exception {
        TokenStore store = TokenStore.open(dir.resolve(TokenStore.FILE), clock);
        var name = assertThrows(
                IllegalArgumentException.class,
                () -> store.create(" spaces first", Set.of(Scope.READ), BranchPattern.ANY, Optional.empty()));
        assertTrue(name.getMessage().contains("\" spaces first\""), name.getMessage());
        assertThrows(
                IllegalArgumentException.class, () -> store.create("x", Set.of(), BranchPattern.ANY, Optional.empty()));
        assertThrows(
                IllegalArgumentException.class,
                () -> store.create("x", Set.of(Scope.READ), BranchPattern.ANY, Optional.of(Duration.ZERO)));
        assertTrue(store.list().isEmpty(), "nothing was issued");

        Path broken = dir.resolve("broken.json");
        Files.writeString(broken, "{\"tokens\": [");
        var e = assertThrows(IllegalStateException.class, () -> TokenStore.open(broken, clock));
        assertTrue(e.getMessage().startsWith("cannot read the token file " + broken), e.getMessage());
    }

    @Test
    void patternsAndScopes() {
        BranchPattern pr = new BranchPattern("pr-*");
        assertTrue(pr.matches("pr-1"));
        assertTrue(pr.matches("pr-12/fix"));
        assertTrue(pr.matches("pr-"));
        assertFalse(pr.matches("main"));
        assertFalse(pr.matches("xpr-1"));
        assertTrue(new BranchPattern("team/?-x").matches("team/a-x"));
        assertFalse(new BranchPattern("team/?-x").matches("team/ab-x"));
        assertThrows(IllegalArgumentException.class, () -> new BranchPattern("a.b"), "only branch-name characters");
        assertThrows(IllegalArgumentException.class, () -> new BranchPattern("a-(b)"));
        assertThrows(IllegalArgumentException.class, () -> new BranchPattern("PR-*"));
        assertThrows(IllegalArgumentException.class, () -> new BranchPattern(""));
        assertThrows(IllegalArgumentException.class, () -> new BranchPattern("x".repeat(64)));

        assertTrue(Scope.ADMIN.covers(Scope.BRANCH_WRITE));
        assertTrue(Scope.BRANCH_WRITE.covers(Scope.READ));
        assertFalse(Scope.BRANCH_WRITE.covers(Scope.ADMIN));
        assertFalse(Scope.READ.covers(Scope.BRANCH_WRITE));
        assertEquals(Scope.BRANCH_WRITE, Scope.parse("Branch-Write"));
        assertEquals(
                "no scope \"all\" (expected one of read, branch-write, admin)",
                assertThrows(IllegalArgumentException.class, () -> Scope.parse("all"))
                        .getMessage());
    }

    @Test
    void ttlsAreANumberAndAUnit() {
        assertEquals(Duration.ofDays(30), TokensApi.ttl("30d"));
        assertEquals(Duration.ofHours(12), TokensApi.ttl("12h"));
        assertEquals(Duration.ofMinutes(45), TokensApi.ttl("45m"));
        assertEquals(Duration.ofSeconds(90), TokensApi.ttl("90s"));
        for (String bad : new String[] {"", "30", "d", "0d", "-1d", "1w", "3651d", "1.5h"}) {
            assertThrows(IllegalArgumentException.class, () -> TokensApi.ttl(bad), bad);
        }
    }
}
