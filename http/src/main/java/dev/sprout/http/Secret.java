package dev.sprout.http;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Objects;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * One credential of a pageserver: a random value kept in a file that only the service's own OS user can read
 * (mode 0600 in a directory of mode 0700), made on first use and read afterwards.
 *
 * <p>{@link #matches} compares in constant time: both sides are hashed to 32 bytes first, so neither the
 * position of the first differing byte nor the length of the candidate shows in the time taken. The value
 * never appears in {@link #toString()}, logs or messages; only the file's path does.
 *
 * <p>Concurrency: immutable; any thread may use it.
 */
public final class Secret {
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");
    private static final int RANDOM_BYTES = 32;

    private final Path file;
    private final String value;
    private final byte[] digest;

    private Secret(Path file, String value) {
        this.file = file;
        this.value = value;
        this.digest = sha256(value);
    }

    /**
     * The secret in {@code file}, or a new random one written there (the file and its directory created owner-only)
     * when there is none. A file that others could read is made owner-only again.
     *
     * @throws IllegalStateException when the file cannot be read or written, or holds no value; the message names
     *                               the file
     */
    public static Secret loadOrCreate(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir.getParent());
                try {
                    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(OWNER_ONLY_DIR));
                } catch (FileAlreadyExistsException raced) {
                    // another process made it first
                }
            }
            Files.setPosixFilePermissions(dir, OWNER_ONLY_DIR);
            if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
                byte[] bytes = new byte[RANDOM_BYTES];
                new SecureRandom().nextBytes(bytes);
                String fresh = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
                try {
                    Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
                    Files.writeString(file, fresh + "\n", StandardCharsets.UTF_8);
                    return new Secret(file, fresh);
                } catch (FileAlreadyExistsException raced) {
                    // another process made it first: read theirs below
                }
            }
            if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalStateException("the secret file " + file + " is not a regular file; remove it and"
                        + " start again (a new secret is made)");
            }
            Files.setPosixFilePermissions(file, OWNER_ONLY);
            String stored = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (stored.isEmpty()) {
                throw new IllegalStateException("the secret file " + file + " is empty; remove it and start again"
                        + " (a new secret is made; clients that kept the old one must read the new one)");
            }
            return new Secret(file, stored);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read or create the secret file " + file + ": " + e, e);
        }
    }

    /** A secret of a known value, for a client that was handed it (a flag, another process's file). */
    public static Secret of(String value) {
        Objects.requireNonNull(value, "value");
        if (value.isBlank()) {
            throw new IllegalArgumentException("a secret may not be blank");
        }
        return new Secret(null, value.strip());
    }

    /** Reads the value a client needs from {@code file}, without creating it. */
    public static String read(Path file) {
        try {
            String stored = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (stored.isEmpty()) {
                throw new IllegalStateException("the secret file " + file + " is empty");
            }
            return stored;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the secret file " + file + ": " + e, e);
        }
    }

    /** Whether {@code candidate} is this secret; false for null. Constant time in the candidate's content. */
    public boolean matches(String candidate) {
        return candidate != null && MessageDigest.isEqual(digest, sha256(candidate));
    }

    /**
     * A credential derived from this secret for one purpose ({@code context}, e.g. a timeline's id): HMAC-SHA256 of
     * the context under the secret, base64url. Who holds it can prove that purpose and nothing else; the secret
     * cannot be recovered from it.
     */
    public String derive(String context) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(value.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(mac.doFinal(context.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Whether {@code candidate} is {@link #derive}{@code (context)}; false for null. Constant time. */
    public boolean matchesDerived(String context, String candidate) {
        return candidate != null && MessageDigest.isEqual(sha256(derive(context)), sha256(candidate));
    }

    /** The value, for a client of this server in the same process (a compute, the CLI); never log it. */
    public String value() {
        return value;
    }

    /** The file it is kept in (null for {@link #of}). */
    public Path file() {
        return file;
    }

    @Override
    public String toString() {
        return "Secret[" + (file == null ? "given" : file) + "]";
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
