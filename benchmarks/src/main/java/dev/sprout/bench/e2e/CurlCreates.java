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
    static List<Double> keptConnection(int port, List<String> names, IntConsumer progress) {
        List<String> cmd = new ArrayList<>(List.of("curl", "--silent", "--show-error"));
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) {
                cmd.add("--next");
            }
            request(cmd, port, names.get(i));
        }
        return run(cmd, port, names, progress);
    }

    /** A new curl process, and so a new connection, for one create, as a script calling curl per branch would. */
    static double newConnection(int port, String name) {
        List<String> cmd = new ArrayList<>(List.of("curl", "--silent", "--show-error"));
        request(cmd, port, name);
        return run(cmd, port, List.of(name), n -> {}).getFirst();
    }

    private static void request(List<String> cmd, int port, String name) {
        cmd.addAll(List.of("--request", "POST", "--header", "Content-Type: application/json",
                "--data", "{\"name\":\"" + name + "\"}", "--output", "/dev/null",
                "--write-out", "%{http_code} %{time_total}\\n", "http://127.0.0.1:" + port + "/v1/branches"));
    }

    private static List<Double> run(List<String> cmd, int port, List<String> names, IntConsumer progress) {
        List<Double> ms = new ArrayList<>(names.size());
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run curl (the end-to-end benchmark drives the API with it: apt-get install curl)", e);
        }
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = out.readLine()) != null) {
                String[] f = line.strip().split(" ");
                String name = ms.size() < names.size() ? names.get(ms.size()) : "?";
                if (f.length == 2 && f[0].equals("000")) {
                    p.destroy();
                    throw new IllegalStateException("POST /v1/branches {\"name\":\"" + name + "\"}: no answer from 127.0.0.1:"
                            + port + " (curl's message is above)");
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
