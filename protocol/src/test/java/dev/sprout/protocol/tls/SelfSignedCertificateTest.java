package dev.sprout.protocol.tls;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The self-signed certificate of a TLS listener: made once, kept private, made again for a new address. */
class SelfSignedCertificateTest {
    @TempDir
    Path dir;

    private static SelfSignedCertificate.Subject subject(String... addresses) throws Exception {
        InetAddress[] a = new InetAddress[addresses.length];
        for (int i = 0; i < a.length; i++) {
            a[i] = InetAddress.getByName(addresses[i]);
        }
        return new SelfSignedCertificate.Subject("t.crt", "t.key", "test", List.of("localhost"), Arrays.asList(a));
    }

    @Test
    void madeOnceInAPrivateDirectoryAndKeptWhileItNamesWhatIsAskedFor() throws Exception {
        Path tls = dir.resolve("tls");
        TlsSettings.Files files = SelfSignedCertificate.inDirectory(tls, subject("127.0.0.1"));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tls)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.privateKey())));
        X509Certificate cert = read(files.certificateChain());
        assertEquals(
                List.of(List.of(2, "localhost"), List.of(7, "127.0.0.1")),
                cert.getSubjectAlternativeNames().stream().map(List::copyOf).toList());
        byte[] first = Files.readAllBytes(files.certificateChain());

        // Asked again for the same names: the same certificate (clients that pinned it keep working).
        SelfSignedCertificate.inDirectory(tls, subject("127.0.0.1"));
        assertArrayEquals(first, Files.readAllBytes(files.certificateChain()));

        // Asked for an address it does not name: made again, naming it.
        SelfSignedCertificate.inDirectory(tls, subject("127.0.0.1", "192.0.2.7"));
        byte[] second = Files.readAllBytes(files.certificateChain());
        assertFalse(Arrays.equals(first, second));
        assertTrue(read(files.certificateChain()).getSubjectAlternativeNames().contains(List.of(7, "192.0.2.7")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(files.privateKey())));

        // And the server and client contexts take it.
        TlsContexts.server(files);
        TlsContexts.client(files.certificateChain());
        TlsContexts.jdkClient(files.certificateChain());
    }

    @Test
    void aTrustAnchorThatIsMissingOrNotACertificateIsASentence() throws Exception {
        UncheckedIOException missing =
                assertThrows(UncheckedIOException.class, () -> TlsContexts.client(dir.resolve("absent.crt")));
        assertEquals(
                "TLS file " + dir.resolve("absent.crt") + " does not exist or cannot be read",
                missing.getCause().getMessage());
        Path junk = Files.writeString(dir.resolve("junk.crt"), "not a certificate\n");
        UncheckedIOException notPem = assertThrows(UncheckedIOException.class, () -> TlsContexts.client(junk));
        assertTrue(notPem.getCause().getMessage().contains("the TLS trust anchor " + junk), notPem.toString());
    }

    private static X509Certificate read(Path pem) throws Exception {
        try (InputStream in = Files.newInputStream(pem)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }
}
