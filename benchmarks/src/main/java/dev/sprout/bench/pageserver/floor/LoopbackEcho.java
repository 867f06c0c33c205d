package dev.sprout.bench.pageserver.floor;

import dev.sprout.bench.pageserver.measure.Measured;
import dev.sprout.bench.pageserver.measure.Phases;
import dev.sprout.bench.pageserver.measure.Probe;
import dev.sprout.bench.pageserver.measure.ThreadLoop;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * The floor of any request/response over loopback TCP between two threads: a blocking client sends a
 * {@value #REQUEST}-byte request, a blocking server thread answers with {@value #RESPONSE} bytes (one page and
 * a header), one round trip at a time, TCP_NODELAY on both ends. No framing, no parsing, no thread pool: what
 * is left is the kernel's loopback path and two thread wake-ups per round trip.
 */
public final class LoopbackEcho {
    static final int REQUEST = 40;
    static final int RESPONSE = 8_192 + 40;

    private LoopbackEcho() {}

    public static Measured measure(Phases phases) {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread server = Thread.ofPlatform().name("loopback-echo").daemon().start(() -> serve(listener));
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort())) {
                s.setTcpNoDelay(true);
                OutputStream out = s.getOutputStream();
                InputStream in = s.getInputStream();
                byte[] request = new byte[REQUEST];
                byte[] response = new byte[RESPONSE];
                Measured m = ThreadLoop.run("loopback-client", 1, 1, phases, Probe.NONE, t -> {
                    out.write(request);
                    out.flush();
                    if (in.readNBytes(response, 0, RESPONSE) != RESPONSE) {
                        throw new IOException("the echo server closed the connection");
                    }
                });
                s.shutdownOutput();
                server.join(5_000);
                return m;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("loopback echo failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static void serve(ServerSocket listener) {
        try (Socket s = listener.accept()) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] request = new byte[REQUEST];
            byte[] response = new byte[RESPONSE];
            while (in.readNBytes(request, 0, REQUEST) == REQUEST) {
                out.write(response);
                out.flush();
            }
        } catch (IOException e) {
            // the client went away: the measurement is over
        }
    }
}
