package dev.sprout.cli;

import dev.sprout.node.PageserverMain;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The {@code sprout} command. Exit codes: 0 done, 1 something went wrong (one sentence on stderr saying what),
 * 2 bad flags (picocli's usage error).
 */
@Command(
        name = "sprout",
        mixinStandardHelpOptions = true,
        version = "sprout 0.1.0-SNAPSHOT",
        description = "Instant copy-on-write branches of PostgreSQL.")
public final class Sprout implements Runnable {
    /** The subcommands, in the order the usage lists them ({@code pageserver} comes last). */
    private static final List<Class<?>> SUBCOMMANDS = List.of(
            UpCommand.class,
            BranchCommand.class,
            ConnectCommand.class,
            StatusCommand.class,
            TimelinesCommand.class,
            TokenCommand.class,
            AuditCommand.class,
            ImportCommand.class,
            FollowCommand.class,
            DiffCommand.class,
            MigrateCommand.class);

    /** Commands whose own subcommands are given to picocli only when named, as the top level's are. */
    private static final Map<Class<?>, List<Class<?>>> NESTED =
            Map.of(BranchCommand.class, BranchCommand.SUBCOMMANDS, TokenCommand.class, TokenCommand.SUBCOMMANDS);

    static final String PAGESERVER = "pageserver";
    /** Sprout refused the request (unknown or invalid name, a conflict): nothing changed. */
    static final int EXIT_REFUSED = 1;
    /** No Sprout answers on the API port. */
    static final int EXIT_UNREACHABLE = 3;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        CommandLine cmd;
        try {
            cmd = commandLine(args);
        } catch (CommandLine.ParameterException e) {
            // PageserverMain reads its --config file while the command line is built, before parsing.
            System.err.println("sprout: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
        }
        return cmd.execute(args);
    }

    /**
     * The command line for {@code args}. {@code sprout pageserver} is {@link PageserverMain}'s own command line,
     * built from the arguments that follow it, so that its flags and its {@code --config} file are exactly the
     * standalone pageserver's.
     *
     * @throws CommandLine.ParameterException if {@code sprout pageserver --config FILE} names an unreadable file
     */
    static CommandLine commandLine(String... args) {
        CommandLine cmd = new CommandLine(new Sprout());
        // Picocli reads every option of every command it is given, loading their types: a third of a short
        // command's start. So only the command named is given; the usage (no command, --help, an unknown one)
        // gets them all, --version none.
        String first = args.length > 0 ? args[0] : "";
        List<Class<?>> named = SUBCOMMANDS.stream()
                .filter(c -> c.getAnnotation(Command.class).name().equals(first))
                .toList();
        boolean version = first.equals("-V") || first.equals("--version");
        String second = !named.isEmpty() && args.length > 1 ? args[1] : "";
        for (Class<?> c : !named.isEmpty() || version || first.equals(PAGESERVER) ? named : SUBCOMMANDS) {
            List<Class<?>> nested = NESTED.getOrDefault(c, List.of());
            if (nested.isEmpty()) {
                cmd.addSubcommand(c);
                continue;
            }
            // the same one level down: `sprout branch list` reads the options of list only
            CommandLine group = new CommandLine(c);
            List<Class<?>> chosen = nested.stream()
                    .filter(n -> n.getAnnotation(Command.class).name().equals(second))
                    .toList();
            for (Class<?> n : chosen.isEmpty() ? nested : chosen) {
                group.addSubcommand(n);
            }
            cmd.addSubcommand(group);
        }
        if (version || !named.isEmpty()) {
            setExceptionHandler(cmd);
            return cmd;
        }
        boolean pageserverArgs = first.equals(PAGESERVER);
        CommandLine pageserver =
                PageserverMain.commandLine(pageserverArgs ? Arrays.copyOfRange(args, 1, args.length) : new String[0]);
        CommandSpec spec = pageserver.getCommandSpec().name(PAGESERVER);
        spec.usageMessage()
                .header("Run a standalone pageserver (`sprout up` runs one on the embedded default).")
                .footer(Arrays.stream(spec.usageMessage().footer())
                        .map(line -> line.replace("sprout-pageserver ", "sprout pageserver "))
                        .toArray(String[]::new))
                // PageserverMain's description is broken into lines of up to 100 characters.
                .width(Math.max(spec.usageMessage().width(), 100));
        cmd.addSubcommand(PAGESERVER, pageserver);
        setExceptionHandler(cmd);
        return cmd;
    }

    /** Set after the subcommands are added: picocli hands the handler to those present at this moment. */
    private static void setExceptionHandler(CommandLine cmd) {
        cmd.setExecutionExceptionHandler((e, failed, parsed) -> {
            Throwable said = e;
            if (failed.getCommandSpec().userObject() instanceof PageserverMain) {
                Optional<SproutException> explained =
                        StartFailure.explain(e, StartFailure.Target.of(failed.getCommandSpec()));
                said = explained.isPresent() ? explained.get() : e;
            }
            failed.getErr().println("sprout: " + (said.getMessage() == null ? said.toString() : said.getMessage()));
            if (said instanceof ManagementClient.Refused) {
                return EXIT_REFUSED;
            }
            return said instanceof ManagementClient.Unreachable ? EXIT_UNREACHABLE : CommandLine.ExitCode.SOFTWARE;
        });
    }

    @Override
    public void run() {
        commandLine().usage(System.out);
    }
}
