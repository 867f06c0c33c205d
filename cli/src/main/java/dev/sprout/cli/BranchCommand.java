package dev.sprout.cli;

import dev.sprout.http.Json;
import dev.sprout.http.client.ApiClient;
import dev.sprout.pageserver.config.PageserverConfig;
import dev.sprout.protocol.WalLsn;
import dev.sprout.protocol.v1.Branch;
import dev.sprout.protocol.v1.BranchList;
import dev.sprout.protocol.v1.CreateBranchRequest;
import dev.sprout.protocol.v1.DeleteBranchResponse;
import dev.sprout.protocol.v1.ProtectBranchRequest;
import dev.sprout.protocol.v1.RenewBranchRequest;
import dev.sprout.protocol.v1.ResetBranchResponse;
import dev.sprout.protocol.v1.RestoreBranchRequest;
import dev.sprout.protocol.v1.RestoreBranchResponse;
import dev.sprout.protocol.v1.SetRolesRequest;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sprout branch create|list|get|delete|reset|restore|renew|protect|roles}: the running Sprout's branches, through its HTTP API
 * (docs/api.md). Tables for people, {@code --json} (the API's answer as it came) for scripts. Exit codes: 0 done,
 * 1 Sprout refused (nothing changed; the message says why), 2 a usage error, 3 no Sprout answers.
 */
@Command(
        name = "branch",
        mixinStandardHelpOptions = true,
        description =
                "Create, list, inspect, reset, restore, renew, protect and delete branches of the running Sprout.")
final class BranchCommand implements Runnable {
    /** Given to picocli by {@link Sprout#commandLine}: only the one named, all of them for the usage. */
    static final List<Class<?>> SUBCOMMANDS = List.of(
            Create.class,
            ListBranches.class,
            Get.class,
            Delete.class,
            Reset.class,
            Restore.class,
            Renew.class,
            Protect.class,
            Roles.class);

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** What every branch subcommand shares: where the API is, and --json. */
    static final class Api {
        @Option(
                names = "--http-port",
                paramLabel = "PORT",
                defaultValue = "" + PageserverConfig.DEFAULT_HTTP_PORT,
                description = "Sprout's HTTP API port on 127.0.0.1. Default: ${DEFAULT-VALUE}.")
        int httpPort;

        @Option(names = "--json", description = "Print the API's JSON answer as it came.")
        boolean json;

        @Mixin
        StoreDirectory dir;

        ManagementClient client() {
            return new ManagementClient(httpPort, dir.dataDir);
        }
    }

    /** The API path of a branch: its name as it is, any character a URI cannot hold percent-encoded. */
    static String path(String name) {
        StringBuilder p = new StringBuilder("/v1/branches/");
        for (String segment : name.split("/", -1)) {
            p.append(URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20"))
                    .append('/');
        }
        return p.substring(0, p.length() - 1);
    }

    /** Prints the answer: as it came with --json, else as {@code table}. */
    static int print(Api api, String body, Branch.Builder branch, ManagementClient client, String what) {
        if (api.json) {
            System.out.print(body);
        } else {
            show(client.parse(what, body, branch).build());
        }
        return 0;
    }

    /** One branch for people: its row of the table, and the roles that may connect when they are limited. */
    private static int show(Branch b) {
        table(System.out, List.of(b));
        if (b.getRolesCount() > 0) {
            System.out.println("only these roles may connect: " + String.join(", ", b.getRolesList()));
        }
        return 0;
    }

    static void table(PrintStream out, List<Branch> branches) {
        rows(out, branches);
        for (Branch b : branches) {
            if (!b.getFollows().isEmpty()) {
                out.println(b.getName() + " follows " + b.getFollows() + " (read-only): " + b.getFollowState());
            }
        }
    }

    private static void rows(PrintStream out, List<Branch> branches) {
        int nameWidth = "BRANCH".length();
        int parentWidth = "PARENT".length();
        for (Branch b : branches) {
            nameWidth = Math.max(nameWidth, 2 * b.getDepth() + b.getName().length());
            parentWidth = Math.max(parentWidth, b.getParent().length());
        }
        // padded by hand: java.util.Formatter costs a short-lived JVM tens of ms the first time it is used
        out.print(row(
                nameWidth,
                parentWidth,
                "BRANCH",
                "PARENT",
                "AT LSN",
                "AT TIME (UTC)",
                "LOGICAL",
                "ADDS",
                "COMPUTE",
                "LIFECYCLE"));
        for (Branch b : branches) {
            String time = b.getBranchTime().length() >= 19
                    ? b.getBranchTime().substring(0, 19).replace('T', ' ')
                    : b.getBranchTime();
            out.print(row(
                    nameWidth,
                    parentWidth,
                    "  ".repeat(b.getDepth()) + b.getName(),
                    b.getParent().isEmpty() ? "-" : b.getParent(),
                    Long.toUnsignedString(b.getBranchLsn()),
                    time,
                    ByteSizes.format(b.getLogicalBytes()),
                    ByteSizes.format(b.getAddedBytes()),
                    b.getComputeState().toLowerCase(Locale.ROOT),
                    lifecycle(b)));
        }
    }

    /** One line of the table: name and parent left-aligned in their widths, then the fixed-width columns. */
    private static String row(
            int nameWidth,
            int parentWidth,
            String name,
            String parent,
            String lsn,
            String time,
            String logical,
            String adds,
            String compute,
            String lifecycle) {
        return left(name, nameWidth) + "  " + left(parent, parentWidth) + "  " + right(lsn, 10) + "  " + left(time, 19)
                + "  " + right(logical, 10) + "  " + right(adds, 10) + "  " + left(compute, 9) + "  " + lifecycle
                + System.lineSeparator();
    }

    private static String left(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }

    private static String right(String s, int width) {
        return s.length() >= width ? s : " ".repeat(width - s.length()) + s;
    }

    /** "protected", "expires 2026-12-10 10:00 (ttl 3d)", or "-" for a branch that lives until deleted. */
    static String lifecycle(Branch b) {
        if (b.getProtect()) {
            return "protected";
        }
        if (b.getExpiresAt().isEmpty()) {
            return "-";
        }
        String at = b.getExpiresAt().length() >= 16
                ? b.getExpiresAt().substring(0, 16).replace('T', ' ')
                : b.getExpiresAt();
        return "expires " + at
                + (b.getRenewSeconds() > 0
                        ? " (" + b.getExpiry() + " " + Lifetimes.format(Duration.ofSeconds(b.getRenewSeconds())) + ")"
                        : "");
    }

    /**
     * Sets where {@code r} branches from, as {@code at} says: digits are a Sprout LSN, {@code X/Y} a PostgreSQL WAL
     * position, anything else a time (the server checks it).
     *
     * @throws IllegalArgumentException for a WAL position that is not {@code X/Y} in hex, with a sentence
     */
    static void at(CreateBranchRequest.Builder r, String at) {
        if (!at.isEmpty() && at.chars().allMatch(Character::isDigit)) {
            r.setAtLsn(Long.parseUnsignedLong(at));
        } else if (WalLsn.looksLike(at)) {
            r.setAtWalLsn(WalLsn.parse(at).toString());
        } else {
            r.setAtTime(at);
        }
    }

    /** A line on stderr when an operation ended client connections (a script's --json has the count). */
    static void connectionsEnded(Api api, int n, String what) {
        if (n > 0 && !api.json) {
            System.err.println("sprout: " + n + " client connection(s) " + what + " were open and have been ended");
        }
    }

    static void progress(Api api, String line) {
        if (!api.json) {
            System.err.println("sprout: " + line);
        }
    }

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = {
                "Create a branch: a full, writable copy of its parent that copies nothing.",
                "From the parent's head by default (a running parent is checkpointed first),",
                "or --at a Sprout LSN, a PostgreSQL WAL position or an RFC 3339 time.",
                "Repeating the same command is not an error."
            })
    static final class Create implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(
                paramLabel = "NAME",
                description = "Lowercase letters, digits, '-', '_', '/'; at most 63 characters.")
        String name;

        @Option(
                names = "--from",
                paramLabel = "PARENT",
                defaultValue = "main",
                description = "The parent branch. Default: main.")
        String parent;

        @Option(
                names = {"--at", "--at-lsn"},
                paramLabel = "LSN|WAL|TIME",
                description = {
                    "A Sprout LSN (digits, as branch list shows them);",
                    "a PostgreSQL WAL position (0/16B3748, from pg_current_wal_lsn() or the server log):",
                    "  the commit that made the WAL durable through it;",
                    "or a time (2026-11-28T09:00:00Z)."
                })
        String at;

        @Option(
                names = "--ttl",
                paramLabel = "LIFETIME",
                description = "Delete it this long after its creation, its last renew or reset (10m, 2h, 3d, 1w).")
        String ttl;

        @Option(
                names = "--lease",
                paramLabel = "LIFETIME",
                description = {
                    "Keep it only while its owner renews it (sprout branch renew) within this time, as a CI job",
                    "does while it runs: a job that dies leaves nothing behind."
                })
        String lease;

        @Option(names = "--expires-at", paramLabel = "TIME", description = "Delete it at this RFC 3339 time.")
        String expiresAt;

        @Option(names = "--protect", description = "Refuse delete, reset and restore without --force.")
        boolean protect;

        @Override
        public Integer call() {
            CreateBranchRequest.Builder r = CreateBranchRequest.newBuilder()
                    .setName(name)
                    .setParent(parent)
                    .setProtect(protect);
            if (ttl != null) {
                r.setTtlSeconds(Lifetimes.parse("--ttl", ttl).toSeconds());
            }
            if (lease != null) {
                r.setLeaseSeconds(Lifetimes.parse("--lease", lease).toSeconds());
            }
            if (expiresAt != null) {
                r.setExpiresAt(rfc3339(this, "--expires-at", expiresAt));
            }
            if (at != null) {
                try {
                    at(r, at);
                } catch (IllegalArgumentException e) {
                    throw new picocli.CommandLine.ParameterException(
                            new picocli.CommandLine(this), "--at " + e.getMessage());
                }
            }
            ManagementClient client = api.client();
            progress(api, "creating branch " + name + " from " + parent + (at == null ? " at its head" : " at " + at));
            long started = System.nanoTime();
            ApiClient.Answer answer = client.send("POST", "/v1/branches", ApiClient.json(r.build()));
            progress(
                    api,
                    (answer.status() == 201 ? "created" : "exists already, as asked:") + " branch " + name + " in "
                            + (System.nanoTime() - started) / 1_000_000 + " ms");
            return print(api, answer.body(), Branch.newBuilder(), client, "POST /v1/branches");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the branches as a tree.")
    static final class ListBranches implements Callable<Integer> {
        @Mixin
        Api api;

        @Override
        public Integer call() {
            ManagementClient client = api.client();
            if (api.json) {
                System.out.print(client.get("/v1/branches"));
            } else {
                table(
                        System.out,
                        client.get("/v1/branches", BranchList.newBuilder()).getBranchesList());
            }
            return 0;
        }
    }

    @Command(name = "get", mixinStandardHelpOptions = true, description = "Show one branch.")
    static final class Get implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            ManagementClient client = api.client();
            if (api.json) {
                System.out.print(client.get(path(name)));
                return 0;
            }
            return show(client.get(path(name), Branch.newBuilder()).build());
        }
    }

    @Command(
            name = "roles",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            description = {
                "Show or set the PostgreSQL roles the proxy lets connect to a branch. A role not listed is",
                "refused before the branch's compute is woken. A new branch lets every role connect; a reset or",
                "restore keeps the list, and a restore's backup branch carries it too."
            })
    static final class Roles implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--allow", split = ",", paramLabel = "ROLE", description = "Only these roles may connect.")
        List<String> allow;

        @Option(names = "--any", description = "Every role may connect again.")
        boolean any;

        @Override
        public Integer call() {
            ManagementClient client = api.client();
            if (allow != null && any) {
                throw new SproutException("give --allow ROLE,... or --any, not both");
            }
            if (allow == null && !any) {
                Branch b = client.get(path(name), Branch.newBuilder()).build();
                if (api.json) {
                    System.out.print(Json.print(SetRolesRequest.newBuilder().addAllRoles(b.getRolesList())));
                } else {
                    System.out.println(
                            b.getRolesCount() == 0
                                    ? "every role may connect to " + name
                                    : "only these roles may connect to " + name + ": "
                                            + String.join(", ", b.getRolesList()));
                }
                return 0;
            }
            String body = Json.print(SetRolesRequest.newBuilder().addAllRoles(any ? List.of() : allow));
            progress(
                    api,
                    any
                            ? "letting every role connect to " + name
                            : "letting only " + String.join(", ", allow) + " connect to " + name);
            return print(
                    api,
                    client.send("POST", path(name) + "/roles", body).body(),
                    Branch.newBuilder(),
                    client,
                    "POST " + path(name) + "/roles");
        }
    }

    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            description = "Delete a branch and its data. Refused while it has child branches, unless --subtree.")
    static final class Delete implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(
                names = {"--subtree", "--recursive"},
                description =
                        "Delete the branch's descendants too (without it, a branch with some is refused, naming them).")
        boolean subtree;

        @Option(names = "--force", description = "Delete a protected branch too.")
        boolean force;

        @Override
        public Integer call() {
            ManagementClient client = api.client();
            progress(api, "deleting branch " + name + (subtree ? " and its descendants" : ""));
            String query = subtree && force
                    ? "?subtree=true&force=true"
                    : subtree ? "?subtree=true" : force ? "?force=true" : "";
            String body = client.send("DELETE", path(name) + query, null).body();
            if (api.json) {
                System.out.print(body);
            } else {
                DeleteBranchResponse r = client.parse("DELETE " + path(name), body, DeleteBranchResponse.newBuilder())
                        .build();
                System.out.println("deleted " + String.join(", ", r.getDeletedList()));
                connectionsEnded(api, r.getConnectionsEnded(), "to the deleted branches");
                r.getWarningsList().forEach(w -> System.err.println("sprout: WARNING: " + w));
            }
            return 0;
        }
    }

    @Command(
            name = "reset",
            mixinStandardHelpOptions = true,
            description = {
                "Reset a branch to its parent's current state. Its name and connection string stay;",
                "its own changes are dropped."
            })
    static final class Reset implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--force", description = "Reset a protected branch too.")
        boolean force;

        @Override
        public Integer call() {
            ManagementClient client = api.client();
            progress(api, "resetting branch " + name + " to its parent's head");
            String body = client.send("POST", path(name) + "/reset" + (force ? "?force=true" : ""), null)
                    .body();
            if (api.json) {
                System.out.print(body);
            } else {
                ResetBranchResponse r = client.parse(
                                "POST " + path(name) + "/reset", body, ResetBranchResponse.newBuilder())
                        .build();
                table(System.out, List.of(r.getBranch()));
                connectionsEnded(api, r.getConnectionsEnded(), "to " + name);
            }
            return 0;
        }
    }

    @Command(
            name = "restore",
            mixinStandardHelpOptions = true,
            description = {
                "Restore a branch to its state at a past time. Its state before the restore is kept",
                "as a backup branch, NAME-backup-<time>."
            })
    static final class Restore implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(
                names = "--at",
                paramLabel = "TIME",
                required = true,
                description = "An RFC 3339 time, e.g. 2026-11-28T09:00:00Z.")
        String at;

        @Option(names = "--force", description = "Restore a protected branch (main is one) too.")
        boolean force;

        @Override
        public Integer call() {
            rfc3339(this, "--at", at);
            ManagementClient client = api.client();
            progress(api, "restoring branch " + name + " to " + at);
            String body = client.send(
                            "POST",
                            path(name) + "/restore" + (force ? "?force=true" : ""),
                            ApiClient.json(RestoreBranchRequest.newBuilder()
                                    .setTime(at)
                                    .build()))
                    .body();
            if (api.json) {
                System.out.print(body);
            } else {
                RestoreBranchResponse r = client.parse(
                                "POST " + path(name) + "/restore", body, RestoreBranchResponse.newBuilder())
                        .build();
                table(System.out, List.of(r.getBranch()));
                System.out.println("its state before the restore is branch " + r.getBackup());
                connectionsEnded(api, r.getConnectionsEnded(), "to " + name);
            }
            return 0;
        }
    }

    @Command(
            name = "renew",
            mixinStandardHelpOptions = true,
            description = {
                "Renew a branch that expires: its TTL or lease counts again from now, or --ttl gives it a new",
                "one; --never makes it live until deleted."
            })
    static final class Renew implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--ttl", paramLabel = "LIFETIME", description = "Expire this long from now (10m, 2h, 3d).")
        String ttl;

        @Option(names = "--never", description = "Never expire.")
        boolean never;

        @Override
        public Integer call() {
            if (ttl != null && never) {
                throw new SproutException("give --ttl LIFETIME or --never, not both");
            }
            RenewBranchRequest.Builder r = RenewBranchRequest.newBuilder().setNever(never);
            if (ttl != null) {
                r.setTtlSeconds(Lifetimes.parse("--ttl", ttl).toSeconds());
            }
            ManagementClient client = api.client();
            String body = client.send("POST", path(name) + "/renew", ApiClient.json(r.build()))
                    .body();
            if (api.json) {
                System.out.print(body);
            } else {
                Branch b = client.parse("POST " + path(name) + "/renew", body, Branch.newBuilder())
                        .build();
                System.out.println(
                        b.getExpiresAt().isEmpty()
                                ? "branch " + name + " lives until it is deleted"
                                : "branch " + name + " " + lifecycle(b));
            }
            return 0;
        }
    }

    @Command(
            name = "protect",
            mixinStandardHelpOptions = true,
            description = {
                "Protect a branch: delete, reset and restore are refused without --force. main is protected",
                "from its creation. --off unprotects."
            })
    static final class Protect implements Callable<Integer> {
        @Mixin
        Api api;

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--off", description = "Unprotect it.")
        boolean off;

        @Override
        public Integer call() {
            ManagementClient client = api.client();
            String body = client.send(
                            "POST",
                            path(name) + "/protect",
                            ApiClient.json(ProtectBranchRequest.newBuilder()
                                    .setProtect(!off)
                                    .build()))
                    .body();
            if (api.json) {
                System.out.print(body);
            } else {
                System.out.println("branch " + name + (off ? " is no longer protected" : " is protected"));
            }
            return 0;
        }
    }

    /** {@code text}, refused with a usage error naming {@code option} when it is not an RFC 3339 time. */
    static String rfc3339(Object command, String option, String text) {
        try {
            OffsetDateTime.parse(text);
            return text;
        } catch (DateTimeParseException e) {
            throw new picocli.CommandLine.ParameterException(
                    new picocli.CommandLine(command),
                    option + " " + text + " is not an RFC 3339 time with an offset (e.g. 2026-11-28T09:00:00Z)");
        }
    }
}
