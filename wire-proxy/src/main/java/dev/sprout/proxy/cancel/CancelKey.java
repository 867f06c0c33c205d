package dev.sprout.proxy.cancel;

import java.util.Arrays;

/**
 * A BackendKeyData key: the process id and secret a client quotes in a CancelRequest. The proxy issues its own to
 * clients ({@link CancelKeys#issue}) and keeps the compute's real one to forward.
 */
public record CancelKey(int processId, byte[] secret) {
    public CancelKey {
        secret = secret.clone();
    }

    @Override
    public byte[] secret() {
        return secret.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CancelKey k && k.processId == processId && Arrays.equals(k.secret, secret);
    }

    @Override
    public int hashCode() {
        return 31 * processId + Arrays.hashCode(secret);
    }

    /** Never prints the secret: a cancel key is a credential. */
    @Override
    public String toString() {
        return "CancelKey[processId=" + processId + ", secret=" + secret.length + " bytes]";
    }
}
