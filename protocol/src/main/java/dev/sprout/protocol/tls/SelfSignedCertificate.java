package dev.sprout.protocol.tls;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A self-signed certificate kept in a directory: an ECDSA P-256 key and a certificate for the names and addresses
 * asked for, valid for {@value #VALID_YEARS} years, built with Bouncy Castle (the JDK has no public API to issue a
 * certificate). Made once and kept as PEM files, so that clients can pin it across restarts; the key file is
 * readable by its owner only (0600) and a directory made here is its owner's only (0700). The wire proxy's
 * certificate ({@code proxy-tls.crt}) and the pageserver's ({@code tls.crt}) are made here.
 */
public final class SelfSignedCertificate {
    public static final int VALID_YEARS = 10;

    private SelfSignedCertificate() {}

    /**
     * What to issue: the certificate and key files' names in the directory, the subject's common name, and the
     * DNS names and IP addresses it is for.
     */
    public record Subject(
            String certificateFile,
            String keyFile,
            String commonName,
            List<String> dnsNames,
            List<InetAddress> addresses) {
        public Subject {
            dnsNames = List.copyOf(dnsNames);
            addresses = List.copyOf(addresses);
        }
    }

    /**
     * The certificate and key in {@code dir}, generated first if either is missing, or if the certificate kept there
     * does not name every name and address of {@code subject} (a listener moved to another address: the old
     * certificate could not be verified there).
     */
    public static TlsSettings.Files inDirectory(Path dir, Subject subject) throws IOException {
        Path cert = dir.resolve(subject.certificateFile());
        Path key = dir.resolve(subject.keyFile());
        if (Files.isRegularFile(cert) && Files.isRegularFile(key) && covers(cert, subject)) {
            return new TlsSettings.Files(cert, key);
        }
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(
                    dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            KeyPair pair = generator.generateKeyPair();
            X500Name name = new X500Name("CN=" + subject.commonName());
            Instant now = Instant.now();
            JcaX509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    name,
                    new BigInteger(64, new SecureRandom()).add(BigInteger.ONE),
                    Date.from(now.minus(Duration.ofDays(1))),
                    Date.from(now.plus(Duration.ofDays(365L * VALID_YEARS))),
                    name,
                    pair.getPublic());
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            List<GeneralName> names = new ArrayList<>();
            subject.dnsNames().forEach(n -> names.add(new GeneralName(GeneralName.dNSName, n)));
            subject.addresses().forEach(a -> names.add(new GeneralName(GeneralName.iPAddress, a.getHostAddress())));
            builder.addExtension(
                    Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
            X509Certificate certificate = new JcaX509CertificateConverter()
                    .getCertificate(
                            builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(pair.getPrivate())));
            // The key first: a certificate without its key would be taken as complete by the next start.
            write(key, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), true);
            write(cert, pem("CERTIFICATE", certificate.getEncoded()), false);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IOException("cannot generate a self-signed certificate in " + dir + ": " + e.getMessage(), e);
        }
        return new TlsSettings.Files(cert, key);
    }

    /** Whether the certificate in {@code cert} names every DNS name and address of {@code subject}. */
    private static boolean covers(Path cert, Subject subject) throws IOException {
        Set<String> named = new HashSet<>();
        try (InputStream in = Files.newInputStream(cert)) {
            X509Certificate c =
                    (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            Collection<List<?>> alternatives = c.getSubjectAlternativeNames();
            if (alternatives != null) {
                for (List<?> alt : alternatives) {
                    Object type = alt.get(0);
                    Object value = alt.get(1);
                    if (type instanceof Integer t && value instanceof String v) {
                        named.add(t == 7 ? InetAddress.getByName(v).getHostAddress() : v.toLowerCase(Locale.ROOT));
                    }
                }
            }
        } catch (GeneralSecurityException e) {
            return false; // unreadable: make a new one
        }
        return subject.dnsNames().stream().allMatch(n -> named.contains(n.toLowerCase(Locale.ROOT)))
                && subject.addresses().stream().allMatch(a -> named.contains(a.getHostAddress()));
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private static void write(Path file, String content, boolean secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
