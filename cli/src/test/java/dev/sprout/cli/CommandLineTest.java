package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What picocli is given for a command line: the command named, one level down too, and everything for a usage. */
class CommandLineTest {
    @Test
    void aBranchSubcommandIsGivenAlone() {
        CommandLine cmd = Sprout.commandLine("branch", "list", "--json");
        assertEquals(Set.of("branch"), cmd.getSubcommands().keySet());
        assertEquals(
                Set.of("list"),
                cmd.getSubcommands().get("branch").getSubcommands().keySet());
        assertEquals(
                Set.of("create"),
                Sprout.commandLine("token", "create")
                        .getSubcommands()
                        .get("token")
                        .getSubcommands()
                        .keySet());
    }

    @Test
    void theGroupsUsageListsEverySubcommand() {
        for (List<String> args : List.of(List.of("branch"), List.of("branch", "--help"), List.of("branch", "nope"))) {
            CommandLine branch = Sprout.commandLine(args.toArray(String[]::new))
                    .getSubcommands()
                    .get("branch");
            assertEquals(
                    BranchCommand.SUBCOMMANDS.size(), branch.getSubcommands().size(), args.toString());
        }
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Sprout.run("branch"));
        } finally {
            System.setOut(out);
        }
        String usage = printed.toString(StandardCharsets.UTF_8);
        for (String sub : List.of("create", "list", "renew", "protect", "roles")) {
            assertTrue(usage.contains("\n  " + sub + " "), sub + " in:\n" + usage);
        }
    }
}
