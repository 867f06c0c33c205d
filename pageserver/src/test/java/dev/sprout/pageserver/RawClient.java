package dev.sprout.pageserver;

import dev.sprout.protocol.v1.Request;
import dev.sprout.protocol.v1.Response;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A blocking page-service client on a plain socket, for tests that need byte-level control (fuzzing,
 * pipelining by hand): writes frames as given and reads responses one at a time.
 */
public final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final OutputStream out;
    private final InputStream in;

    public RawClient(int port) throws IOException {
        socket = new Socket();
        socket.setTcpNoDelay(true);
        socket.setSoTimeout(30_000);
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        out = new BufferedOutputStream(socket.getOutputStream());
        in = new BufferedInputStream(socket.getInputStream());
    }

    public void send(Request r) throws IOException {
        r.writeDelimitedTo(out);
        out.flush();
    }

    public void sendRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** The next response, or null when the server closed the connection. */
    public Response receive() throws IOException {
        return Response.parseDelimitedFrom(in);
    }

    public Response call(Request r) throws IOException {
        send(r);
        Response response = receive();
        if (response == null) {
            throw new IOException("the server closed the connection instead of answering request " + r.getId());
        }
        return response;
    }

    public void setTimeoutMillis(int millis) throws IOException {
        socket.setSoTimeout(millis);
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
