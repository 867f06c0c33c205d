package dev.sprout.compute.postgres;

/**
 * A PostgreSQL tool or server did not do what was asked: it could not be found, failed to start, exited, or did
 * not stop. The message names the offending value (path, port, pid, exit code) and, where PostgreSQL said why,
 * ends with the last lines of its output or log.
 */
public class PostgresException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public PostgresException(String message) {
        super(message);
    }

    public PostgresException(String message, Throwable cause) {
        super(message, cause);
    }
}
