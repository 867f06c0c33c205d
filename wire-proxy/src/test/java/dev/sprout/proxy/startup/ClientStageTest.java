package dev.sprout.proxy.startup;

import static dev.sprout.proxy.startup.StartupDecoderTest.cancel;
import static dev.sprout.proxy.startup.StartupDecoderTest.hex;
import static dev.sprout.proxy.startup.StartupDecoderTest.startup;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sprout.proxy.cancel.CancelKey;
import dev.sprout.proxy.error.SqlState;
import dev.sprout.proxy.startup.ClientStage.Answer;
import dev.sprout.proxy.startup.ClientStage.Cancel;
import dev.sprout.proxy.startup.ClientStage.Negotiation;
import dev.sprout.proxy.startup.ClientStage.Read;
import dev.sprout.proxy.startup.ClientStage.Refuse;
import dev.sprout.proxy.startup.ClientStage.Start;
import dev.sprout.proxy.startup.ClientStage.StartTls;
import dev.sprout.proxy.startup.ClientStage.Step;
import dev.sprout.proxy.startup.ConnectionState.AwaitingStartup;
import dev.sprout.proxy.startup.ConnectionState.Encrypted;
import dev.sprout.proxy.startup.ConnectionState.Plaintext;
import dev.sprout.proxy.startup.ConnectionState.TlsHandshake;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * {@link ClientStage}, the client startup stage, on its own: byte-exact frames (libpq's, written by hand) decoded by
 * {@link StartupDecoder}, then each transition from each state, with no channel, no TLS engine and no wake-up.
 */
class ClientStageTest {
    private static final String SSL_REQUEST = "0000000804d2162f";
    private static final String GSSENC_REQUEST = "0000000804d21630";
    private static final int PROTOCOL_3_0 = 3 << 16;
    private static final ClientStage PLAIN = new ClientStage(false, "localhost");
    private static final ClientStage WITH_TLS = new ClientStage(true, "localhost");

    // ---- SSLRequest and GSSENCRequest --------------------------------------------------------------------------

    @Test
    void withoutTlsAnSslRequestIsAnsweredNOnceAndASecondIsAViolation() {
        Step first = PLAIN.onPacket(Plaintext.NEW, packet(hex(SSL_REQUEST)));
        assertEquals(new Answer('N', new Plaintext(true, false)), first);
        assertViolation(PLAIN.onPacket(((Answer) first).next(), packet(hex(SSL_REQUEST))), "second SSLRequest");
    }

    @Test
    void withTlsAnSslRequestStartsAHandshake() {
        assertEquals(new StartTls(new TlsHandshake(false)), WITH_TLS.onPacket(Plaintext.NEW, packet(hex(SSL_REQUEST))));
    }

    @Test
    void aGssEncRequestIsAnsweredNOnceAndASecondIsAViolation() {
        Step first = WITH_TLS.onPacket(Plaintext.NEW, packet(hex(GSSENC_REQUEST)));
        assertEquals(new Answer('N', new Plaintext(false, true)), first);
        assertViolation(
                WITH_TLS.onPacket(((Answer) first).next(), packet(hex(GSSENC_REQUEST))), "second GSSENCRequest");
    }

    @Test
    void libpqsDefaultGssEncThenSslRemembersBoth() {
        List<Step> steps = walk(PLAIN, Plaintext.NEW, hex(GSSENC_REQUEST), hex(SSL_REQUEST), hex(GSSENC_REQUEST));
        assertEquals(new Answer('N', new Plaintext(false, true)), steps.get(0));
        assertEquals(new Answer('N', new Plaintext(true, true)), steps.get(1));
        assertViolation(steps.get(2), "second GSSENCRequest");
    }

    @Test
    void overTlsNeitherRequestIsAllowedAgain() {
        Encrypted tls = new Encrypted(Optional.empty());
        assertViolation(
                WITH_TLS.onPacket(tls, packet(hex(SSL_REQUEST))), "SSLRequest on a connection that already uses TLS");
        assertViolation(
                WITH_TLS.onPacket(tls, packet(hex(GSSENC_REQUEST))),
                "GSSENCRequest on a connection that already uses TLS");
    }

    // ---- the end of a TLS handshake ----------------------------------------------------------------------------

    @Test
    void aDirectHandshakeNeedsAlpnPostgresqlAndOneAfterSslRequestDoesNot() {
        Optional<String> sni = Optional.of("feature.localhost");
        assertEquals(
                new Read(new Encrypted(sni)), ClientStage.handshakeDone(new TlsHandshake(true), "postgresql", sni));
        assertEquals(new Read(new Encrypted(sni)), ClientStage.handshakeDone(new TlsHandshake(false), null, sni));
        for (String alpn : new String[] {null, "http/1.1"}) {
            assertViolation(
                    ClientStage.handshakeDone(new TlsHandshake(true), alpn, sni),
                    "direct TLS connection without the ALPN protocol \"postgresql\"");
        }
    }

    // ---- CancelRequest -----------------------------------------------------------------------------------------

    @Test
    void aCancelRequestNamesItsKeyInEitherState() {
        Cancel expected = new Cancel(new CancelKey(12345, hex("deadbeef")));
        byte[] frame = hex("00000010" + "04d2162e" + "00003039" + "deadbeef");
        assertEquals(expected, PLAIN.onPacket(Plaintext.NEW, packet(frame)));
        assertEquals(expected, WITH_TLS.onPacket(new Encrypted(Optional.empty()), packet(frame)));
        assertEquals(
                new Cancel(new CancelKey(-7, new byte[32])),
                PLAIN.onPacket(Plaintext.NEW, packet(cancel(-7, new byte[32]))));
    }

    // ---- StartupMessage ----------------------------------------------------------------------------------------

    @Test
    void aStartupMessageIsRoutedAndItsDatabaseRewritten() {
        Start start = assertInstanceOf(
                Start.class,
                PLAIN.onPacket(
                        new Plaintext(true, true),
                        packet(startup(
                                PROTOCOL_3_0, "user", "alice", "database", "db@feature", "application_name", "psql"))));
        assertEquals(Optional.empty(), start.negotiation());
        assertEquals(0, start.clientMinor());
        assertEquals("feature", start.route().branch());
        assertEquals(
                Map.of("user", "alice", "database", "db", "application_name", "psql"),
                start.route().forwarded());
        assertEquals(
                List.of("user", "database", "application_name"),
                List.copyOf(start.route().forwarded().keySet()));
    }

    @Test
    void beyondLoopbackAStartupMessageInPlaintextIsRefusedAndOneOverTlsGoesOn() {
        ClientStage required = new ClientStage(true, "localhost", true);
        byte[] frame = startup(PROTOCOL_3_0, "user", "alice");
        Refuse refused = assertInstanceOf(Refuse.class, required.onPacket(Plaintext.NEW, packet(frame)));
        assertEquals(
                SqlState.INVALID_AUTHORIZATION_SPECIFICATION, refused.error().state());
        assertTrue(
                refused.error().getMessage().contains("over TLS only"),
                refused.error().getMessage());
        assertInstanceOf(Start.class, required.onPacket(new Encrypted(Optional.empty()), packet(frame)));
        assertInstanceOf(Start.class, WITH_TLS.onPacket(Plaintext.NEW, packet(frame)), "on loopback plaintext stays");
    }

    @Test
    void theTlsServerNameRoutesOnlyOverTls() {
        byte[] frame = startup(PROTOCOL_3_0, "user", "alice");
        Start overTls = assertInstanceOf(
                Start.class, WITH_TLS.onPacket(new Encrypted(Optional.of("feature.localhost")), packet(frame)));
        assertEquals("feature", overTls.route().branch());
        Start plain = assertInstanceOf(Start.class, WITH_TLS.onPacket(Plaintext.NEW, packet(frame)));
        assertEquals("main", plain.route().branch());
    }

    @Test
    void protocol32IsSpokenAndANewerMinorOrAnOptionIsNegotiated() {
        Start v32 =
                assertInstanceOf(Start.class, PLAIN.onPacket(Plaintext.NEW, packet(startup(3 << 16 | 2, "user", "u"))));
        assertEquals(Optional.empty(), v32.negotiation());
        assertEquals(2, v32.clientMinor());
        Start v39 = assertInstanceOf(
                Start.class,
                PLAIN.onPacket(Plaintext.NEW, packet(startup(3 << 16 | 9, "_pq_.b", "x", "user", "u", "_pq_.a", "y"))));
        assertEquals(Optional.of(new Negotiation(2, List.of("_pq_.b", "_pq_.a"))), v39.negotiation());
        assertEquals(2, v39.clientMinor());
        assertFalse(v39.route().forwarded().containsKey("_pq_.a"), "options are not forwarded");
        Start option = assertInstanceOf(
                Start.class,
                PLAIN.onPacket(Plaintext.NEW, packet(startup(PROTOCOL_3_0, "user", "u", "_pq_.foo", "1"))));
        assertEquals(Optional.of(new Negotiation(0, List.of("_pq_.foo"))), option.negotiation());
    }

    @Test
    void refusalsOfAStartupMessageKeepTheNegotiationThatIsDue() {
        Refuse v2 =
                assertInstanceOf(Refuse.class, PLAIN.onPacket(Plaintext.NEW, packet(startup(2 << 16, "user", "u"))));
        assertEquals(new Refuse(Optional.empty(), v2.error()), v2, "no negotiation for a major version");
        assertEquals(SqlState.FEATURE_NOT_SUPPORTED, v2.error().state());
        assertEquals(
                "unsupported frontend protocol 2.0: the proxy supports protocol 3.0 to 3.2",
                v2.error().getMessage());

        Refuse noUser = assertInstanceOf(
                Refuse.class, PLAIN.onPacket(Plaintext.NEW, packet(startup(3 << 16 | 5, "database", "d"))));
        assertEquals(Optional.of(new Negotiation(2, List.of())), noUser.negotiation());
        assertEquals(
                SqlState.INVALID_AUTHORIZATION_SPECIFICATION, noUser.error().state());
        assertEquals(
                "no PostgreSQL user name specified in startup packet",
                noUser.error().getMessage());

        Refuse badName = assertInstanceOf(
                Refuse.class,
                PLAIN.onPacket(
                        Plaintext.NEW,
                        packet(startup(PROTOCOL_3_0, "user", "u", "_pq_.x", "1", "options", "branch=Bad!"))));
        assertEquals(Optional.of(new Negotiation(0, List.of("_pq_.x"))), badName.negotiation());
        assertEquals(SqlState.INVALID_NAME, badName.error().state());
        assertEquals(
                "invalid branch name \"Bad!\" in the options", badName.error().getMessage());
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** Decodes one whole frame as the pipeline does. */
    static StartupPacket packet(byte[] frame) {
        EmbeddedChannel channel = new EmbeddedChannel(new StartupDecoder());
        channel.writeInbound(Unpooled.wrappedBuffer(frame));
        StartupPacket packet = assertInstanceOf(StartupPacket.class, channel.readInbound());
        assertEquals(false, channel.finish(), "one packet, nothing left over");
        return packet;
    }

    /** Feeds the frames in turn, each in the state the previous step led to (while the steps lead to one). */
    private static List<Step> walk(ClientStage stage, AwaitingStartup from, byte[]... frames) {
        List<Step> steps = new ArrayList<>();
        AwaitingStartup state = from;
        for (byte[] frame : frames) {
            Step step = stage.onPacket(state, packet(frame));
            steps.add(step);
            state = switch (step) {
                case Answer a -> a.next();
                case Read r -> r.next();
                case StartTls _, Cancel _, Start _, Refuse _ -> null;
            };
            if (state == null) {
                break;
            }
        }
        return steps;
    }

    private static void assertViolation(Step step, String message) {
        Refuse refuse = assertInstanceOf(Refuse.class, step);
        assertEquals(Optional.empty(), refuse.negotiation());
        assertEquals(SqlState.PROTOCOL_VIOLATION, refuse.error().state());
        assertEquals(message, refuse.error().getMessage());
    }
}
