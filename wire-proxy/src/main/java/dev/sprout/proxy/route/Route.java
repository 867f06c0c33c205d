package dev.sprout.proxy.route;

import dev.sprout.protocol.BranchName;
import dev.sprout.protocol.PastPoint;
import dev.sprout.proxy.error.ProxyError;
import dev.sprout.proxy.error.SqlState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;

/**
 * Where a connection goes: the branch it names, and the startup parameters to forward to that branch's compute
 * (with the branch taken out of them).
 *
 * <p>A client names its branch in one of three ways, all of which work with every libpq and JDBC client:
 * <ol>
 *   <li>{@code options=branch=NAME} (an option token, taken out before forwarding; other options stay),</li>
 *   <li>the first label of the TLS server name (SNI) when it ends with the proxy's domain, e.g.
 *       {@code feature-x.localhost},</li>
 *   <li>the database name {@code DB@NAME} (forwarded as {@code DB}).</li>
 * </ol>
 * None means {@value #DEFAULT_BRANCH}. Two that name different branches are an error, never a silent choice.
 *
 * <p>A branch may be named as it was at a point of its history, {@code NAME@TIME} or {@code NAME@lsn:N}
 * ({@link PastPoint}; {@code DB@NAME@TIME} in the database name): {@link #branch} is then the point's canonical
 * target, and the connection gets a read-only PostgreSQL at that point.
 */
public record Route(String branch, Source source, SequencedMap<String, String> forwarded) {
    public static final String DEFAULT_BRANCH = "main";
    static final String OPTION_PREFIX = "branch=";

    /** Which part of the connection named the branch. */
    public enum Source {
        OPTIONS("options"),
        SERVER_NAME("TLS server name"),
        DATABASE("database name"),
        DEFAULT("default");

        private final String label;

        Source(String label) {
            this.label = label;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /**
     * Routes a StartupMessage's parameters.
     *
     * @param serverName the TLS SNI host name, if the client sent one
     * @param domain     SNI names {@code LABEL.domain} route to branch {@code LABEL}; others do not route
     * @throws ProxyError {@link SqlState#INVALID_NAME} for a malformed name, {@link SqlState#INVALID_PARAMETER_VALUE}
     *                    when two sources disagree
     */
    public static Route of(Map<String, String> parameters, Optional<String> serverName, String domain) {
        SequencedMap<String, String> forwarded = new LinkedHashMap<>(parameters);
        List<Named> named = new ArrayList<>(3);

        String options = parameters.get("options");
        if (options != null) {
            List<String> kept = new ArrayList<>();
            for (String token : tokens(options)) {
                if (token.startsWith(OPTION_PREFIX)) {
                    if (!kept.isEmpty() && kept.getLast().equals("-c")) {
                        kept.removeLast(); // "-c branch=NAME" names the branch as well
                    }
                    named.add(new Named(
                            requireBranch(token.substring(OPTION_PREFIX.length()), "options"), Source.OPTIONS));
                } else {
                    kept.add(token);
                }
            }
            if (kept.isEmpty()) {
                forwarded.remove("options");
            } else {
                forwarded.put("options", String.join(" ", kept));
            }
        }

        serverName
                .flatMap(host -> label(host, domain))
                .ifPresent(label -> named.add(new Named(requireBranch(label, "TLS server name"), Source.SERVER_NAME)));

        String database = parameters.get("database");
        if (database != null) {
            int at = database.lastIndexOf('@');
            if (at > 0 && looksLikePoint(database.substring(at + 1))) {
                at = database.lastIndexOf('@', at - 1); // DB@NAME@TIME
            }
            if (at >= 0) {
                named.add(new Named(requireBranch(database.substring(at + 1), "database name"), Source.DATABASE));
                forwarded.put("database", database.substring(0, at));
                if (at == 0) {
                    forwarded.remove("database"); // "@NAME": the compute's default database (the user's name)
                }
            }
        }

        if (named.isEmpty()) {
            return new Route(DEFAULT_BRANCH, Source.DEFAULT, forwarded);
        }
        Named first = named.getFirst();
        for (Named other : named) {
            if (!other.branch.equals(first.branch)) {
                throw new ProxyError(
                        SqlState.INVALID_PARAMETER_VALUE,
                        "the connection names two branches: \"" + first.branch + "\" (" + first.source + ") and \""
                                + other.branch + "\" (" + other.source + ")",
                        "Name the branch in one place only.");
            }
        }
        return new Route(first.branch, first.source, forwarded);
    }

    private record Named(String branch, Source source) {}

    /** Whether what follows an {@code @} is a point ({@code 2026-...}, {@code lsn:N}) rather than a branch name. */
    private static boolean looksLikePoint(String s) {
        return s.startsWith("lsn:")
                || (s.length() > 10 && Character.isDigit(s.charAt(0)) && s.charAt(4) == '-' && s.charAt(7) == '-');
    }

    /** {@code feature-x} for {@code feature-x.localhost} under domain {@code localhost}; empty for anything else. */
    static Optional<String> label(String host, String domain) {
        String h = host.toLowerCase(Locale.ROOT);
        String suffix = "." + domain.toLowerCase(Locale.ROOT);
        if (!h.endsWith(suffix) || h.length() == suffix.length()) {
            return Optional.empty();
        }
        String rest = h.substring(0, h.length() - suffix.length());
        int dot = rest.indexOf('.');
        return Optional.of(dot < 0 ? rest : rest.substring(0, dot));
    }

    /**
     * Splits PostgreSQL's {@code options} the way the server does ({@code pg_split_opts}): on whitespace, where a
     * backslash makes the next character literal. Tokens are returned with their escapes kept, so that the ones not
     * taken out are forwarded exactly as written.
     */
    static List<String> tokens(String options) {
        List<String> tokens = new ArrayList<>();
        StringBuilder token = new StringBuilder();
        for (int i = 0; i < options.length(); i++) {
            char c = options.charAt(i);
            if (c == '\\' && i + 1 < options.length()) {
                token.append(c).append(options.charAt(++i));
            } else if (Character.isWhitespace(c)) {
                if (!token.isEmpty()) {
                    tokens.add(token.toString());
                    token.setLength(0);
                }
            } else {
                token.append(c);
            }
        }
        if (!token.isEmpty()) {
            tokens.add(token.toString());
        }
        return tokens;
    }

    /**
     * Returns {@code name} when it follows {@link BranchName}'s rule, else throws {@link SqlState#INVALID_NAME} naming
     * it (printably: control characters escaped, cut at 80) and where it came from, with the rule as the hint. The
     * proxy checks a name before it asks anyone about it.
     */
    static String requireBranch(String name, String source) {
        if (PastPoint.names(name)) {
            try {
                return PastPoint.parse(name).orElseThrow().target();
            } catch (IllegalArgumentException e) {
                throw new ProxyError(
                        SqlState.INVALID_NAME,
                        "invalid branch target \"" + printable(name) + "\" in the " + source + ": " + e.getMessage(),
                        "Name a branch, or a branch as it was: NAME@2026-12-06T10:00:00Z or NAME@lsn:N.");
            }
        }
        if (!BranchName.isValid(name)) {
            throw new ProxyError(
                    SqlState.INVALID_NAME,
                    "invalid branch name \"" + printable(name) + "\" in the " + source,
                    "A branch name has " + BranchName.RULE + ".");
        }
        return name;
    }

    private static String printable(String s) {
        String cut = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        StringBuilder b = new StringBuilder(cut.length());
        cut.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.toString();
    }
}
