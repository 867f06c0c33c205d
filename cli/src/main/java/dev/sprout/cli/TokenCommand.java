package dev.sprout.cli;

import dev.sprout.http.Json;
import dev.sprout.protocol.v1.CreateTokenRequest;
import dev.sprout.protocol.v1.CreatedToken;
import dev.sprout.protocol.v1.Token;
import dev.sprout.protocol.v1.TokenList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sprout token create|list|revoke}: scoped tokens for CI jobs and teammates, through the running Sprout's
 * {@code /v1/tokens} (admin scope). A token's secret is printed once, by {@code create}; the server keeps a hash.
 */
@Command(
        name = "token",
        mixinStandardHelpOptions = true,
        description = "Make, list and revoke the bearer tokens of the HTTP APIs (needs the admin token).")
final class TokenCommand implements Runnable {
    /** Given to picocli by {@link Sprout#commandLine}: only the one named, all of them for the usage. */
    static final List<Class<?>> SUBCOMMANDS = List.of(Create.class, ListTokens.class, Revoke.class);

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            description = {
                "Make a token and print it (once: it is not kept). Pass it to a CI job as $SPROUT_TOKEN.",
                "Example: sprout token create --name ci --scope branch-write --branches 'pr-*' --ttl 30d"
            })
    static final class Create implements Callable<Integer> {
        @Option(
                names = "--scope",
                required = true,
                split = ",",
                paramLabel = "SCOPE",
                description =
                        "read (list, get), branch-write (create, reset, restore, delete, start, stop the"
                                + " branches --branches matches; implies read), admin (everything). Repeat or separate by commas.")
        List<String> scopes;

        @Option(
                names = "--branches",
                paramLabel = "PATTERN",
                description =
                        "The branches branch-write covers: '*' any run of characters, '?' one. Default: every branch.")
        String branches = "";

        @Option(
                names = "--ttl",
                paramLabel = "DURATION",
                description = "How long it is valid: 30d, 12h, 45m, 90s. Default: until revoked.")
        String ttl = "";

        @Option(
                names = "--name",
                description = "What it is for, shown in `token list` and the audit log. Default: token.")
        String name = "";

        @Mixin
        BranchCommand.Api api;

        @Override
        public Integer call() {
            ManagementClient client = api.client();
            CreateTokenRequest request = CreateTokenRequest.newBuilder()
                    .setName(name)
                    .addAllScopes(scopes)
                    .setBranches(branches)
                    .setTtl(ttl)
                    .build();
            String body = client.send("POST", "/v1/tokens", Json.print(request)).body();
            if (api.json) {
                System.out.print(body);
                return 0;
            }
            CreatedToken made = client.parse("POST /v1/tokens", body, CreatedToken.newBuilder())
                    .build();
            System.err.println("sprout: token " + made.getToken().getId() + " ("
                    + made.getToken().getName() + ") made: " + describe(made.getToken())
                    + ". It is shown this once; keep it like a password.");
            System.out.println(made.getSecret());
            return 0;
        }
    }

    @Command(
            name = "list",
            mixinStandardHelpOptions = true,
            description = "List the tokens made by `sprout token create` (never their secrets).")
    static final class ListTokens implements Callable<Integer> {
        private static final String ROW = "%-12s  %-20s  %-24s  %-16s  %-20s  %-20s%n";

        @Mixin
        BranchCommand.Api api;

        @Override
        public Integer call() {
            ManagementClient client = api.client();
            if (api.json) {
                System.out.print(client.get("/v1/tokens"));
                return 0;
            }
            TokenList list = client.get("/v1/tokens", TokenList.newBuilder()).build();
            System.out.printf(ROW, "ID", "NAME", "SCOPES", "BRANCHES", "CREATED", "EXPIRES");
            for (Token t : list.getTokensList()) {
                System.out.printf(
                        ROW,
                        t.getId(),
                        t.getName(),
                        String.join(",", t.getScopesList()),
                        t.getBranches().isEmpty() ? "*" : t.getBranches(),
                        seconds(t.getCreatedAt()),
                        t.getExpiresAt().isEmpty() ? "never" : seconds(t.getExpiresAt()));
            }
            return 0;
        }
    }

    @Command(
            name = "revoke",
            mixinStandardHelpOptions = true,
            description = "Revoke a token: it is refused from the next request on.")
    static final class Revoke implements Callable<Integer> {
        @Parameters(paramLabel = "ID", description = "The token's id (`sprout token list`).")
        String id;

        @Mixin
        BranchCommand.Api api;

        @Override
        public Integer call() {
            ManagementClient client = api.client();
            String body = client.send("DELETE", "/v1/tokens/" + id, null).body();
            if (api.json) {
                System.out.print(body);
                return 0;
            }
            Token gone = client.parse("DELETE /v1/tokens/" + id, body, Token.newBuilder())
                    .build();
            System.out.println("revoked token " + gone.getId() + " (" + gone.getName() + ")");
            return 0;
        }
    }

    static String describe(Token t) {
        return String.join(", ", t.getScopesList())
                + (t.getBranches().isEmpty() || t.getBranches().equals("*") ? "" : " on branches " + t.getBranches())
                + (t.getExpiresAt().isEmpty() ? ", until revoked" : ", until " + seconds(t.getExpiresAt()));
    }

    /** An RFC 3339 time to the second. */
    static String seconds(String time) {
        int dot = time.indexOf('.');
        return dot < 0 ? time : time.substring(0, dot) + "Z";
    }
}
