package dev.sprout.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code sprout} command. */
@Command(name = "sprout", mixinStandardHelpOptions = true, version = "sprout 0.1.0-SNAPSHOT",
        description = "Instant copy-on-write branches of PostgreSQL.",
        subcommands = {UpCommand.class, TimelinesCommand.class})
public final class Sprout implements Runnable {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        return new CommandLine(new Sprout())
                .setExecutionExceptionHandler((e, cmd, parsed) -> {
                    cmd.getErr().println("sprout: " + e.getMessage());
                    return 1;
                })
                .execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }
}
