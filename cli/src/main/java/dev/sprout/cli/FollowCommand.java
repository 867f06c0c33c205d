package dev.sprout.cli;

import dev.sprout.protocol.v1.UnfollowResponse;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code sprout follow URL [--branch NAME]}: an import ({@link ImportCommand}) that keeps streaming the source's WAL
 * as a hot standby through a replication slot on the source; {@code sprout follow --unfollow NAME} ends that (the slot
 * is dropped; the branch keeps what it holds and becomes writable on its next start). Deleting the branch drops the
 * slot too; a slot that cannot be dropped is said loudly and listed by {@code sprout status}.
 */
@Command(
        name = "follow",
        mixinStandardHelpOptions = true,
        description = {
            "Import a running PostgreSQL and keep following it: the branch streams the source's WAL as a read-only",
            "standby (through a replication slot on the source), and every branch made from it is a writable copy",
            "of production as of that moment. --unfollow NAME ends it and drops the slot."
        })
final class FollowCommand implements Callable<Integer> {
    @Parameters(
            paramLabel = "URL",
            arity = "0..1",
            description = "The source: postgresql://USER[:PASSWORD]@HOST[:PORT]/[DB] (USER needs REPLICATION)")
    String url;

    @Option(
            names = "--branch",
            paramLabel = "NAME",
            description = "The branch the follower becomes. Default: main, replaced (kept as a backup branch).")
    String branch;

    @Option(names = "--unfollow", paramLabel = "NAME", description = "Stop following on branch NAME.")
    String unfollow;

    @Mixin
    SourceOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (unfollow != null) {
            if (url != null) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "give a URL to follow, or --unfollow NAME, not both");
            }
            ManagementClient client = new ManagementClient(options.httpPort, options.dir.dataDir);
            String path = BranchCommand.path(unfollow) + "/unfollow";
            String body = client.send("POST", path, null).body();
            UnfollowResponse r = client.parse("POST " + path, body, UnfollowResponse.newBuilder())
                    .build();
            if (options.json) {
                System.out.print(body);
            } else {
                System.out.println(unfollow + " no longer follows its source; it keeps what it holds and becomes"
                        + " writable on its next start");
            }
            if (!r.getWarning().isEmpty()) {
                System.err.println("sprout: WARNING: " + r.getWarning());
            }
            return 0;
        }
        if (url == null) {
            throw new picocli.CommandLine.ParameterException(
                    spec.commandLine(), "give the source's URL (postgresql://USER@HOST:PORT/), or --unfollow NAME");
        }
        ImportCommand importer = new ImportCommand();
        importer.url = url;
        importer.branch = branch;
        importer.options = options;
        importer.spec = spec;
        importer.follow = true;
        return importer.call();
    }
}
