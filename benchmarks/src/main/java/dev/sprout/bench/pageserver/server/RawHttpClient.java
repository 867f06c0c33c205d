package dev.sprout.bench.pageserver.server;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A diagnostic HTTP/1.1 client: one kept-alive blocking socket, TCP_NODELAY, requests written in one
 * {@code write} and answers read on the calling thread. It does nothing {@link dev.sprout.http.client.ApiClient}'s JDK client
 * would not, minus that client's own threads (its selector and executor hand every exchange across threads),
 * so the difference between the two is what the client side costs. Understands only {@code Content-Length}
 * answers, which is all the management API sends.
 *
 * <p>Not thread-safe.
 */
public final class RawHttpClient implements AutoCloseable {
    /** A status and a body. */
    public record Answer(int status, String body) {}

    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;
    private final String host;
    private final String authorization;

    /** A connection that sends {@code token} (the pageserver's admin token) with every request. */
    public RawHttpClient(String host, int port, String token) {
        this.authorization = "Authorization: Bearer " + token + "\r\n";
        try {
            this.socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(host, port), 5_000);
            socket.setSoTimeout(30_000);
            this.out = socket.getOutputStream();
            this.in = new BufferedInputStream(socket.getInputStream());
            this.host = host + ":" + port;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to " + host + ":" + port, e);
        }
    }

    public Answer post(String path, String json) {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        return exchange(
                "POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + authorization
                        + "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n\r\n",
                body);
    }

    public Answer get(String path) {
        return exchange("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + authorization + "\r\n", new byte[0]);
    }

    public Answer delete(String path) {
        return exchange(
                "DELETE " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + authorization + "Content-Length: 0\r\n\r\n",
                new byte[0]);
    }

    /** The body of {@code a}; refused unless its status is {@code status}. */
    public String expect(Answer a, int status) {
        if (a.status() != status) {
            throw new IllegalStateException(
                    host + " answered " + a.status() + " (expected " + status + "): " + a.body());
        }
        return a.body();
    }

    private Answer exchange(String head, byte[] body) {
        try {
            ByteArrayOutputStream request = new ByteArrayOutputStream(head.length() + body.length);
            request.write(head.getBytes(StandardCharsets.US_ASCII));
            request.write(body);
            out.write(request.toByteArray());
            out.flush();
            String status = line();
            int code = Integer.parseInt(status.split(" ", -1)[1]);
            int length = -1;
            for (String h = line(); !h.isEmpty(); h = line()) {
                if (h.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    length = Integer.parseInt(
                            h.substring("content-length:".length()).trim());
                }
            }
            if (length < 0) {
                throw new IOException("an answer without Content-Length: " + status);
            }
            return new Answer(code, new String(in.readNBytes(length), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("HTTP exchange with " + host + " failed", e);
        }
    }

    private String line() throws IOException {
        StringBuilder s = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) {
                throw new IOException("connection closed by " + host);
            }
            if (c != '\r') {
                s.append((char) c);
            }
        }
        return s.toString();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // closing anyway
        }
    }
}
