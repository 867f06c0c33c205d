package dev.sprout.http.auth;

import dev.sprout.http.ApiException;
import dev.sprout.protocol.v1.Code;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Who made a request, as its bearer token says: the server's admin token, or an issued token with its scopes and
 * branch pattern. The APIs ask it before they act ({@link #require}, {@link #requireBranch}); a request it does not
 * cover is refused 403 {@code PERMISSION_DENIED} with a sentence naming the token (never its secret), what it lacks
 * and how to get it.
 *
 * @param id       the token's id ({@code admin} for the admin token)
 * @param name     the name given at creation ({@code admin} for the admin token)
 * @param scopes   what it may do
 * @param branches the branches its {@code branch-write} scope covers
 */
public record Principal(String id, String name, Set<Scope> scopes, BranchPattern branches) {
    /** The holder of the server's admin token (DATA/pages/secrets/admin.token): everything. */
    public static final Principal ADMIN = new Principal("admin", "admin", Set.of(Scope.ADMIN), BranchPattern.ANY);

    public Principal {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("a principal needs at least one scope");
        }
        scopes = Set.copyOf(EnumSet.copyOf(scopes));
        Objects.requireNonNull(branches, "branches");
    }

    /** Whether it holds a scope covering {@code needed}. */
    public boolean has(Scope needed) {
        return scopes.stream().anyMatch(s -> s.covers(needed));
    }

    /**
     * Nothing when it holds {@code needed}; else a 403.
     *
     * @param action what the request does, for the sentence ("list the tokens")
     */
    public void require(Scope needed, String action) {
        if (!has(needed)) {
            throw denied("may not " + action + ": that needs the " + needed.label() + " scope and it has " + labels());
        }
    }

    /**
     * Nothing when it may change {@code branch}: admin, or branch-write with a pattern matching the name; else a 403.
     *
     * @param action what the request does to the branch, for the sentence ("delete")
     */
    public void requireBranch(String branch, String action) {
        if (has(Scope.ADMIN)) {
            return;
        }
        if (!has(Scope.BRANCH_WRITE)) {
            throw denied("may not " + action + " branch \"" + branch
                    + "\": that needs the branch-write scope and it has " + labels());
        }
        if (!branches.matches(branch)) {
            throw denied("may not " + action + " branch \"" + branch + "\": its branch-write scope covers the branches"
                    + " matching \"" + branches + "\" only");
        }
    }

    /** How the audit log and the refusals name it: {@code admin} or {@code token ID (NAME)}. */
    public String describe() {
        return this.equals(ADMIN) ? "admin" : "token " + id + " (" + name + ")";
    }

    private String labels() {
        return scopes.stream().map(Scope::label).sorted().collect(Collectors.joining(", "));
    }

    private ApiException denied(String sentence) {
        return new ApiException(
                403,
                Code.PERMISSION_DENIED,
                describe() + " " + sentence + " (an admin makes a token that may: sprout token create --scope ...)",
                Map.of());
    }
}
