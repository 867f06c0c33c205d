package dev.sprout.proxy.error;

/**
 * Every SQLSTATE the proxy itself answers with. Each failure has its own deliberate code so that a client (and a
 * person reading its log) can tell an unknown branch from a compute that cannot start from a malformed packet;
 * there is no catch-all {@code XX000}. The codes and their meanings are PostgreSQL's (Appendix A of its manual).
 */
public enum SqlState {
    /** A malformed or out-of-order startup packet: what PostgreSQL answers to the same bytes. */
    PROTOCOL_VIOLATION("08P01"),
    /** A protocol major version other than 3 (PostgreSQL answers an unsupported frontend protocol the same way). */
    FEATURE_NOT_SUPPORTED("0A000"),
    /** The startup packet names no user. */
    INVALID_AUTHORIZATION_SPECIFICATION("28000"),
    /** The connection names a branch that does not exist ({@code invalid_catalog_name}, as for a database). */
    INVALID_CATALOG_NAME("3D000"),
    /** The connection names a branch that no branch could be called. */
    INVALID_NAME("42602"),
    /** Two parts of the connection name different branches. */
    INVALID_PARAMETER_VALUE("22023"),
    /** The branch's compute cannot be started or reached. */
    CANNOT_CONNECT_NOW("57P03"),
    /** The proxy's connection limit is reached. */
    TOO_MANY_CONNECTIONS("53300"),
    /** The client did not finish its startup and authentication within the login timeout. */
    QUERY_CANCELED("57014"),
    /** No bytes in either direction for the idle timeout. */
    IDLE_SESSION_TIMEOUT("57P05"),
    /** The proxy is shutting down. */
    ADMIN_SHUTDOWN("57P01");

    private final String code;

    SqlState(String code) {
        this.code = code;
    }

    /** The five-character code, as sent in the ErrorResponse's {@code C} field. */
    public String code() {
        return code;
    }
}
