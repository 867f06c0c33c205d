package dev.sprout.bench.support;

/**
 * The little command-line parsing the harness mains share. Every refusal prints one sentence naming the program, the
 * flag and the value, and exits with status 2 (a usage error, as the scripts that run the mains expect).
 */
public final class Args {
    private Args() {
    }

    /** {@code args[i]}, the value of {@code flag}; refused when the command line ends before it. */
    public static String value(String program, String[] args, int i, String flag) {
        if (i >= args.length) {
            refuse(program, flag + " needs a value");
        }
        return args[i];
    }

    /** {@code v} as a whole number of at least 1; refused otherwise. */
    public static int positive(String program, String v, String flag) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below, with the value as given
        }
        refuse(program, flag + " " + v + " (expected: a whole number >= 1)");
        return 0; // not reached
    }

    /**
     * Refused unless the JVM runs as root: the harnesses mount FUSE filesystems with {@code allow_other} for user
     * postgres and run PostgreSQL as that user.
     */
    public static void requireRoot(String program) {
        if (!"root".equals(System.getProperty("user.name"))) {
            refuse(program, "run as root (it mounts FUSE filesystems for user postgres and runs PostgreSQL as that user)");
        }
    }

    /** Prints "{@code program}: {@code sentence}" and exits with 2. */
    public static void refuse(String program, String sentence) {
        System.err.println(program + ": " + sentence);
        System.exit(2);
    }
}
