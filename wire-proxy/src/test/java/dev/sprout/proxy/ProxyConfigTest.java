package dev.sprout.proxy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.protocol.tls.TlsSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class ProxyConfigTest {
    @Test
    void tlsIsRequiredBeyondLoopbackOnly() {
        for (String loopback : new String[] {"127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"}) {
            assertFalse(
                    ProxyConfig.defaults(0, new TlsSettings.Disabled())
                            .withBindAddress(loopback)
                            .requiresTls(),
                    loopback);
        }
        for (String beyond : new String[] {"0.0.0.0", "::", "192.0.2.2", "10.0.0.1", "db.example.com"}) {
            assertTrue(
                    ProxyConfig.defaults(0, new TlsSettings.Disabled())
                            .withBindAddress(beyond)
                            .requiresTls(),
                    beyond);
        }
    }

    @Test
    void beyondLoopbackWithoutTlsTheProxyDoesNotStart() {
        ProxyConfig config = ProxyConfig.defaults(0, new TlsSettings.Disabled()).withBindAddress("0.0.0.0");
        ProxyStartException e = assertThrows(
                ProxyStartException.class,
                () -> WireProxy.start(
                        config,
                        branch -> {
                            throw new AssertionError("nothing may be woken");
                        },
                        new SimpleMeterRegistry()));
        assertTrue(e.getMessage().contains("beyond loopback, without TLS"), e.getMessage());
    }
}
