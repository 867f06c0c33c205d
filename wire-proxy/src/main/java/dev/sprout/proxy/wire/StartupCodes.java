package dev.sprout.proxy.wire;

/**
 * The request codes that stand where a StartupMessage has its protocol version (PostgreSQL manual, "Message
 * Formats"): the major version 1234 is reserved for them, so that no protocol version can collide.
 */
public final class StartupCodes {
    public static final int CANCEL_REQUEST = 80877102; // 1234 << 16 | 5678
    public static final int SSL_REQUEST = 80877103; // 1234 << 16 | 5679
    public static final int GSSENC_REQUEST = 80877104; // 1234 << 16 | 5680

    /** The first byte of a TLS record of type handshake: a client that starts TLS at once (PostgreSQL 17's direct TLS). */
    public static final int TLS_HANDSHAKE_RECORD = 0x16;

    private StartupCodes() {}
}
