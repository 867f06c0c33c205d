package dev.sprout.pageserver.config;

import dev.sprout.protocol.tls.SelfSignedCertificate;
import dev.sprout.protocol.tls.TlsSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The certificate the page service and the HTTP API present: the configured files, or the self-signed one kept in
 * {@code DATA/tls} ({@value #CERTIFICATE_FILE}, {@value #KEY_FILE}), made for {@code localhost}, this machine's
 * host name, 127.0.0.1, ::1 and the address listened on (every address of this machine's interfaces when that is
 * the wildcard). A self-signed certificate that does not name the address listened on is made again.
 */
public final class PageserverTls {
    public static final String CERTIFICATE_FILE = "pageserver.crt";
    public static final String KEY_FILE = "pageserver.key";

    private PageserverTls() {}

    /**
     * The certificate and key of {@code config}'s listeners, the self-signed ones made first if need be; empty
     * without TLS.
     *
     * @throws UncheckedIOException when the self-signed certificate cannot be made
     */
    public static Optional<TlsSettings.Files> files(PageserverConfig config) {
        return switch (config.tls()) {
            case TlsSettings.Disabled _ -> Optional.empty();
            case TlsSettings.Files f -> Optional.of(f);
            case TlsSettings.SelfSigned s -> {
                try {
                    yield Optional.of(SelfSignedCertificate.inDirectory(s.directory(), subject(config.bindAddress())));
                } catch (IOException e) {
                    throw new UncheckedIOException(
                            "cannot make the pageserver's TLS certificate in " + s.directory() + ": " + e.getMessage(),
                            e);
                }
            }
        };
    }

    /**
     * The settings the flags {@code --tls-cert FILE --tls-key FILE} or {@code --tls-self-signed} ask for
     * ({@code cert} and {@code key} null when not given), the self-signed certificate kept in {@code directory}.
     *
     * @throws IllegalArgumentException with a sentence when the flags do not go together
     */
    public static TlsSettings settings(Path cert, Path key, boolean selfSigned, Path directory) {
        if (selfSigned && (cert != null || key != null)) {
            throw new IllegalArgumentException(
                    "--tls-self-signed makes its own certificate: give it, or --tls-cert FILE --tls-key FILE, not both");
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException(
                    "--tls-cert and --tls-key go together: give both, the certificate chain and its private key (PEM)");
        }
        if (selfSigned) {
            return new TlsSettings.SelfSigned(directory);
        }
        return cert == null ? new TlsSettings.Disabled() : new TlsSettings.Files(cert, key);
    }

    /** The self-signed certificate's file in {@code directory} (what a client on this machine trusts). */
    public static Path selfSignedCertificate(Path directory) {
        return directory.resolve(CERTIFICATE_FILE);
    }

    static SelfSignedCertificate.Subject subject(String bindAddress) {
        Set<String> names = new LinkedHashSet<>(List.of("localhost"));
        Set<InetAddress> addresses = new LinkedHashSet<>();
        try {
            addresses.add(InetAddress.getByName("127.0.0.1"));
            addresses.add(InetAddress.getByName("::1"));
        } catch (UnknownHostException e) {
            throw new IllegalStateException("literal addresses always parse", e);
        }
        try {
            names.add(InetAddress.getLocalHost().getHostName());
        } catch (UnknownHostException e) {
            // no host name of its own: localhost and the addresses still serve
        }
        try {
            InetAddress bound = InetAddress.getByName(bindAddress);
            if (bound.isAnyLocalAddress()) {
                for (NetworkInterface nic : NetworkInterface.networkInterfaces().toList()) {
                    nic.inetAddresses().filter(a -> !a.isLinkLocalAddress()).forEach(addresses::add);
                }
            } else {
                addresses.add(bound);
                if (!Character.isDigit(bindAddress.charAt(0)) && !bindAddress.contains(":")) {
                    names.add(bindAddress); // listened on by name: the certificate names it
                }
            }
        } catch (UnknownHostException | SocketException e) {
            // the configuration's check resolved it already; nothing more to name
        }
        return new SelfSignedCertificate.Subject(
                CERTIFICATE_FILE,
                KEY_FILE,
                "Sprout pageserver (self-signed)",
                new ArrayList<>(names),
                new ArrayList<>(addresses));
    }
}
