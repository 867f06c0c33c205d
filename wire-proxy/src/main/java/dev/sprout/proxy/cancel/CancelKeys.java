package dev.sprout.proxy.cancel;

import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The proxy-issued cancel keys of the open sessions, each mapped to where its queries run: the compute's address
 * and the compute's own key.
 *
 * <p>Keys come from {@link SecureRandom}: a cancel key is the only credential a CancelRequest carries, so a
 * predictable one would let anyone cancel anyone's queries (CrateDB's {@code ThreadLocalRandom} keys are the
 * counter-example). The process id is random too and kept positive, because some clients print it or store it as
 * a signed number (PgBouncer clears the sign bit of its keys for the same reason). A protocol 3.0 client gets a
 * 4-byte secret, which is all 3.0 can carry; a 3.2 client gets {@value #LONG_SECRET} bytes, as PostgreSQL 18 issues.
 *
 * <p>A session is entered when the compute sends its key and removed when the session closes, so a CancelRequest
 * is forwarded only while the session it names is open. Thread-safe.
 */
public final class CancelKeys {
    static final int SHORT_SECRET = 4;
    static final int LONG_SECRET = 32;

    /** Where a session's queries run. */
    public record Target(InetSocketAddress compute, CancelKey computeKey, String branch) {}

    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<CancelKey, Target> sessions = new ConcurrentHashMap<>();

    /** Issues a new key for a session whose compute key is {@code target.computeKey()}. */
    public CancelKey issue(Target target, boolean longSecret) {
        while (true) {
            byte[] secret = new byte[longSecret ? LONG_SECRET : SHORT_SECRET];
            random.nextBytes(secret);
            CancelKey key = new CancelKey(random.nextInt() & Integer.MAX_VALUE, secret);
            if (sessions.putIfAbsent(key, target) == null) {
                return key;
            }
        }
    }

    /** The open session this key was issued to. */
    public Optional<Target> find(CancelKey key) {
        return Optional.ofNullable(sessions.get(key));
    }

    /** Forgets a closed session's key: from now on a CancelRequest quoting it is dropped. */
    public void remove(CancelKey key) {
        sessions.remove(key);
    }

    public int size() {
        return sessions.size();
    }
}
