package dev.sprout.compute.load;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A source database named by a libpq connection URL, {@code postgresql://[USER[:PASSWORD]@]HOST[:PORT][/DB][?k=v&...]}
 * ({@code postgres://} too): what the importer connects to. The password is held apart and never printed:
 * {@link #toString()} and {@link #redacted()} leave it out, and the tools get it in their environment, not on their
 * command line. A missing user is the OS user's name, a missing host {@code localhost}, port 5432, database
 * {@code postgres}, as libpq has them; {@code namesDatabase} tells whether the URL named one (a logical import of a
 * URL without one takes every database).
 */
public record SourceUrl(
        String user,
        Optional<String> password,
        String host,
        int port,
        String database,
        Map<String, String> params,
        boolean namesDatabase) {

    public SourceUrl {
        params = Map.copyOf(params);
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException with a sentence naming what is wrong (never repeating a password)
     */
    public static SourceUrl parse(String text) {
        if (!text.startsWith("postgresql://") && !text.startsWith("postgres://")) {
            throw new IllegalArgumentException(
                    "the source must be a URL like postgresql://USER@HOST:PORT/ (it does not start with postgresql://)");
        }
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the source URL does not parse (" + e.getReason()
                    + "); percent-encode special characters in the user and password");
        }
        String user = System.getProperty("user.name", "postgres");
        Optional<String> password = Optional.empty();
        String info = uri.getRawUserInfo();
        if (info != null) {
            int colon = info.indexOf(':');
            user = decode(colon < 0 ? info : info.substring(0, colon));
            if (colon >= 0) {
                password = Optional.of(decode(info.substring(colon + 1)));
            }
        }
        String host = uri.getHost() == null ? "localhost" : uri.getHost();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port = uri.getPort() < 0 ? 5432 : uri.getPort();
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        boolean named = path.length() > 1;
        String database = named ? decode(path.substring(1)) : "postgres";
        Map<String, String> params = new LinkedHashMap<>();
        if (uri.getRawQuery() != null) {
            for (String kv : uri.getRawQuery().split("&", -1)) {
                if (kv.isEmpty()) {
                    continue;
                }
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("the source URL's parameter \"" + kv + "\" has no value");
                }
                params.put(decode(kv.substring(0, eq)), decode(kv.substring(eq + 1)));
            }
        }
        if (params.containsKey("password")) {
            password = Optional.of(params.remove("password"));
        }
        return new SourceUrl(user, password, host, port, database, params, named);
    }

    /** The same source with {@code pw} as its password (from a file or the environment). */
    public SourceUrl withPassword(Optional<String> pw) {
        return new SourceUrl(user, pw, host, port, database, params, namesDatabase);
    }

    /** The same source, database {@code name}. */
    public SourceUrl withDatabase(String name) {
        return new SourceUrl(user, password, host, port, name, params, true);
    }

    /** The URL without its password, for messages and records. */
    public String redacted() {
        String h = host.contains(":") ? "[" + host + "]" : host;
        return "postgresql://" + user + "@" + h + ":" + port + "/" + database;
    }

    /** {@code HOST:PORT}. */
    public String address() {
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    /**
     * A libpq keyword/value connection string without the password (which goes in {@code PGPASSWORD}), for the
     * PostgreSQL tools.
     */
    public String conninfo(String application) {
        StringBuilder s = new StringBuilder();
        s.append("host=").append(quote(host)).append(" port=").append(port);
        s.append(" user=").append(quote(user)).append(" dbname=").append(quote(database));
        s.append(" application_name=").append(quote(application));
        params.forEach((k, v) -> s.append(' ').append(k).append('=').append(quote(v)));
        return s.toString();
    }

    @Override
    public String toString() {
        return redacted();
    }

    private static String quote(String v) {
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
