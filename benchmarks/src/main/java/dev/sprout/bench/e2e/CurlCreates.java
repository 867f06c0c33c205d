package dev.sprout.bench.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * {@code POST /v1/branches} as a script drives the API: by curl, in its own process, each request timed by curl
 * itself ({@code %{time_total}}: from the start of the transfer, connection included, to the last byte of the
 * answer). Outside the harness's JVM on purpose: the JDK's HTTP clients, run in the JVM that also serves the API,
 * added 2 to 4 ms per request over curl on this 2-vCPU machine, which would measure the client rather than Sprout.
 * Not thread-safe per call; calls are independent.
 */
final class CurlCreates {
    private CurlCreates() {}

    /**
     * One curl process for all {@code names}, one after another on one kept connection (the first request makes
     * it), as a harness or service would call the API. Returns each create's milliseconds, in order;
     * {@code progress} gets the count done after each. Throws unless every answer is 201.
     */
    static List<Double> keptConnection(int port, String token, List<String> names, IntConsumer progress) {
        StringBuilder config = new StringBuilder();
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                config.append("next\n");
            }
            request(config, port, token, names.get(i));
        }
        return run(config.toString(), port, names, progress);
    }

    /** A new curl process, and so a new connection, for one create, as a script calling curl per branch would. */
    static double newConnection(int port, String token, String name) {
        StringBuilder config = new StringBuilder();
        request(config, port, token, name);
        return run(config.toString(), port, List.of(name), n -> {}).getFirst();
    }

    /**
     * One request in curl's config-file syntax. The config reaches curl on its standard input ({@code --config -}),
     * so the bearer token is in no command line that {@code ps} shows and in no file.
     */
    private static void request(StringBuilder config, int port, String token, String name) {
        config.append("request = \"POST\"\n")
                .append("header = \"Content-Type: application/json\"\n")
                .append("header = \"Authorization: Bearer ")
                .append(token)
                .append("\"\n")
                .append("data = \"{\\\"name\\\":\\\"")
                .append(name)
                .append("\\\"}\"\n")
                .append("output = \"/dev/null\"\n")
                .append("write-out = \"%{http_code} %{time_total}\\n\"\n")
                .append("url = \"http://127.0.0.1:")
                .append(port)
                .append("/v1/branches\"\n");
    }

    private static List<Double> run(String config, int port, List<String> names, IntConsumer progress) {
        List<Double> ms = new ArrayList<>(names.size());
        Process p;
        try {
            p = new ProcessBuilder("curl", "--silent", "--show-error", "--config", "-")
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start();
            try (var in = p.getOutputStream()) {
                in.write(config.getBytes(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot run curl (the end-to-end benchmark drives the API with it: apt-get install curl)", e);
        }
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = out.readLine()) != null) {
                String[] f = line.strip().split(" ", -1);
                String name = ms.size() < names.size() ? names.get(ms.size()) : "?";
                if (f.length == 2 && f[0].equals("000")) {
                    p.destroy();
                    throw new IllegalStateException("POST /v1/branches {\"name\":\"" + name
                            + "\"}: no answer from 127.0.0.1:" + port + " (curl's message is above)");
                }
                if (f.length != 2 || !f[0].equals("201")) {
                    p.destroy();
                    throw new IllegalStateException("POST /v1/branches {\"name\":\"" + name + "\"} answered \"" + line
                            + "\" (curl's status and time; expected: 201)");
                }
                ms.add(Double.parseDouble(f[1]) * 1000);
                progress.accept(ms.size());
            }
            int rc = p.waitFor();
            if (rc != 0 || ms.size() != names.size()) {
                throw new IllegalStateException("curl exited with " + rc + " after " + ms.size() + " of " + names.size()
                        + " creates (its message is above)");
            }
            return ms;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read curl's output", e);
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while curl created branches", e);
        }
    }
}
