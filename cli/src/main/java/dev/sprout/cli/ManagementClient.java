package dev.sprout.cli;

import com.google.protobuf.Message;
import dev.sprout.http.Secret;
import dev.sprout.http.client.ApiClient;
import dev.sprout.node.SproutNode;
import dev.sprout.pageserver.auth.Credentials;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Supplier;

/**
 * The commands' way to a running Sprout: an {@link ApiClient} that sends a bearer token, with every failure turned
 * into the {@link SproutException} the command prints (and its exit code: {@link Unreachable} is 3, a refusal 1).
 * The token is {@value #TOKEN_ENV} when it is set (a CI job's scoped token), else the data directory's admin token.
 *
 * <p>Where: 127.0.0.1 over http, unless the data directory's {@code api.properties} (written by every
 * {@code sprout up}) says another address ({@code host}, the one {@code --listen} named) or TLS ({@code tls-ca}: the
 * certificate to trust, the self-signed one or the {@code --tls-cert} file). {@value #TLS_CA_ENV}, when set, is the
 * trust anchor instead and turns https on (a Sprout whose certificate was issued by a CA of one's own).
 *
 * <p>Thread-safe (the API client is).
 */
final class ManagementClient {
    static final String HOST = "127.0.0.1";
    /** The environment variable a token made by {@code sprout token create} is passed in. */
    static final String TOKEN_ENV = "SPROUT_TOKEN";
    /** The environment variable naming the PEM certificate(s) to trust for https, overriding the data directory's. */
    static final String TLS_CA_ENV = "SPROUT_TLS_CA";

    private final int port;
    private final String host;
    private final Path tokenFile;
    /** Whether the data directory has a token (else the server's 401 is explained as a missing token). */
    private final boolean hasToken;
    /** Whether the token is {@value #TOKEN_ENV}'s rather than the admin token. */
    private final boolean fromEnv;

    private final ApiClient api;

    /**
     * A client of the API on 127.0.0.1:{@code port} that sends the admin token of the Sprout whose data directory
     * is {@code dataDir} ({@code DATA/pages/secrets/admin.token}, made by its first {@code sprout up}).
     */
    ManagementClient(int port, Path dataDir) {
        this(port, dataDir, Optional.ofNullable(System.getenv(TOKEN_ENV)).filter(t -> !t.isBlank()));
    }

    /** As above, with {@code envToken} standing for {@value #TOKEN_ENV}'s value. */
    ManagementClient(int port, Path dataDir, Optional<String> envToken) {
        this(
                port,
                dataDir,
                envToken,
                Optional.ofNullable(System.getenv(TLS_CA_ENV))
                        .filter(t -> !t.isBlank())
                        .map(Path::of));
    }

    /** As above, with {@code envCa} standing for {@value #TLS_CA_ENV}'s value. */
    ManagementClient(int port, Path dataDir, Optional<String> envToken, Optional<Path> envCa) {
        this.port = port;
        Properties where = apiFile(dataDir);
        this.host = where.getProperty("host", HOST);
        Optional<Path> ca =
                envCa.or(() -> Optional.ofNullable(where.getProperty("tls-ca")).map(Path::of));
        this.tokenFile = Credentials.adminTokenFile(dataDir.resolve(SproutNode.PAGES));
        this.fromEnv = envToken.isPresent();
        Optional<String> token = fromEnv ? envToken.map(String::strip) : readToken(tokenFile);
        this.hasToken = token.isPresent();
        try {
            this.api = new ApiClient(host, port, token, ca);
        } catch (UncheckedIOException e) {
            throw new SproutException(
                    e.getCause().getMessage() + (envCa.isPresent() ? " ($" + TLS_CA_ENV + ")" : ""), e);
        }
    }

    /** What {@code sprout up} wrote in {@code DATA/api.properties}; empty when there is none. */
    private static Properties apiFile(Path dataDir) {
        Properties p = new Properties();
        Path file = LocalStack.apiFile(dataDir);
        if (Files.isRegularFile(file)) {
            try (Reader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                p.load(in);
            } catch (IOException e) {
                throw new SproutException("cannot read " + file + ": " + e.getMessage(), e);
            }
        }
        return p;
    }

    /** The address the API is reached on: 127.0.0.1, or the one `sprout up --listen` named. */
    String host() {
        return host;
    }

    /** {@code HOST:PORT}, and {@code (TLS)} after it when the API is reached over https, for sentences. */
    String where() {
        return host + ":" + port + (api.scheme().equals("https") ? " (TLS)" : "");
    }

    /** The body of a 2xx answer to {@code GET path}, as sent. */
    String get(String path) {
        return call(() -> api.get(path));
    }

    /** The JSON of a 2xx answer to {@code GET path}, parsed into {@code builder}. */
    <B extends Message.Builder> B get(String path, B builder) {
        return call(() -> api.get(path, builder));
    }

    /** Sends {@code method path} with {@code jsonBody} (null: none) and returns a 2xx answer. */
    ApiClient.Answer send(String method, String path, String jsonBody) {
        return call(() -> api.send(method, path, jsonBody));
    }

    /** {@code body} (a 2xx answer to {@code what}) parsed into {@code builder}. */
    <B extends Message.Builder> B parse(String what, String body, B builder) {
        return call(() -> api.parse(what, body, builder));
    }

    private <T> T call(Supplier<T> request) {
        try {
            return request.get();
        } catch (ApiClient.Refused e) {
            if (e.status() == 401 && fromEnv) {
                throw new Refused(401, e.getMessage() + " (the token sent is $" + TOKEN_ENV + "'s)");
            }
            if (e.status() == 401) {
                throw new Refused(
                        401,
                        e.getMessage()
                                + (hasToken
                                        ? " (the token sent is the one in " + tokenFile + ": is Sprout on port " + port
                                                + " running on" + " another data directory? --data-dir)"
                                        : " (no admin token at " + tokenFile
                                                + ": is this the data directory of the running `sprout up`?"
                                                + " --data-dir)"));
            }
            throw new Refused(e.status(), e.getMessage());
        } catch (ApiClient.Unreachable e) {
            if (e.getCause() instanceof ConnectException) {
                throw new Unreachable("no Sprout answers on " + host + ":" + port + ": start it with `./sprout up`", e);
            }
            throw new SproutException(
                    e.getMessage()
                            + (api.scheme().equals("http")
                                    ? " (if that Sprout speaks TLS, this data directory's " + LocalStack.API_FILE
                                            + " does not say so: --data-dir, or set $" + TLS_CA_ENV + ")"
                                    : ""),
                    e);
        } catch (ApiClient.CallException e) { // timed out, or not Sprout
            throw new SproutException(e.getMessage(), e);
        }
    }

    /** The token in {@code file}; empty when there is no such file. Unreadable (e.g. another user's) is an error. */
    private static Optional<String> readToken(Path file) {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Secret.read(file));
        } catch (IllegalStateException e) {
            throw new SproutException(
                    "cannot read Sprout's admin token " + file + " (" + e.getCause() + "): run the"
                            + " command as the user that runs `sprout up`",
                    e);
        }
    }

    /** Nothing answers on the port. */
    static final class Unreachable extends SproutException {
        private static final long serialVersionUID = 1L;

        Unreachable(String sentence, Throwable cause) {
            super(sentence, cause);
        }
    }

    /** Sprout refused a request; the message is its code and sentence. */
    static final class Refused extends SproutException {
        private static final long serialVersionUID = 1L;
        final int status;

        Refused(int status, String sentence) {
            super(sentence);
            this.status = status;
        }
    }
}
