package dev.sprout.http.auth;

import dev.sprout.http.Json;
import dev.sprout.protocol.v1.StoredToken;
import dev.sprout.protocol.v1.Token;
import dev.sprout.protocol.v1.TokenFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The issued tokens of one server, kept in one owner-only file ({@code tokens.json}, mode 0600, next to the admin
 * token): each token's id, name, scopes, branch pattern, creation and expiry, and the SHA-256 of its secret. The
 * secret itself is returned once by {@link #create} and kept nowhere.
 *
 * <p>A token reads {@code spt_<id>_<secret>}: the id (12 hex digits) finds the entry, the whole token's hash is
 * compared with {@link MessageDigest#isEqual} (constant time). A secret has 256 random bits, so a plain hash is as
 * good as a slow one: there is nothing to guess.
 *
 * <p>Durability: every change writes a new file next to the old one, forces it, and renames it over the old one
 * (then forces the directory), so a crash leaves the old set or the new one, never a mix. A change that cannot be
 * written is refused ({@link IllegalStateException}) and the set in memory stays as it was.
 *
 * <p>Concurrency: thread-safe; changes are serialized, {@link #authenticate} reads a snapshot.
 */
public final class TokenStore {
    /** The file's name in the secrets directory. */
    public static final String FILE = "tokens.json";

    public static final String PREFIX = "spt_";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._:/-]{0,63}");
    private static final int SECRET_BYTES = 32;

    private final Path file;
    private final InstantSource clock;
    private final SecureRandom random = new SecureRandom();
    /** id to entry; replaced whole on each change. */
    private volatile Map<String, StoredToken> tokens;

    private TokenStore(Path file, InstantSource clock, Map<String, StoredToken> tokens) {
        this.file = file;
        this.clock = clock;
        this.tokens = tokens;
    }

    /**
     * The tokens in {@code file}, or none when it does not exist yet (it is written on the first {@link #create}).
     *
     * @throws IllegalStateException when the file cannot be read or does not parse; the message names it
     */
    public static TokenStore open(Path file, InstantSource clock) {
        Objects.requireNonNull(clock, "clock");
        Map<String, StoredToken> tokens = new LinkedHashMap<>();
        if (Files.exists(file)) {
            try {
                TokenFile stored = Json.parse(Files.readAllBytes(file), TokenFile.newBuilder())
                        .build();
                for (StoredToken t : stored.getTokensList()) {
                    tokens.put(t.getToken().getId(), t);
                }
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException(
                        "cannot read the token file " + file + ": " + e.getMessage()
                                + " (move it away to start without issued tokens; the admin token still works)",
                        e);
            }
        }
        return new TokenStore(file, clock, Collections.unmodifiableMap(tokens));
    }

    /** What {@link #create} made: the description and the secret, shown this once. */
    public record Created(Token token, String secret) {}

    /** What a presented token turned out to be. */
    public sealed interface Authentication {
        /** One of this store's tokens, in force. */
        record Valid(Principal principal) implements Authentication {}

        /** One of this store's tokens, past its expiry. */
        record Expired(String id, Instant at) implements Authentication {}

        /** Not a token of this store (or revoked). */
        record Unknown() implements Authentication {}
    }

    /**
     * Issues a token.
     *
     * @param ttl how long it is valid; empty: until revoked
     * @throws IllegalArgumentException for a bad name or ttl, naming it
     * @throws IllegalStateException    when the file cannot be written; nothing was issued
     */
    public synchronized Created create(String name, Set<Scope> scopes, BranchPattern branches, Optional<Duration> ttl) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("the token name \"" + name
                    + "\" is not 1 to 64 letters, digits, spaces or" + " . _ : / - starting with a letter or digit");
        }
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("a token needs at least one scope (read, branch-write, admin)");
        }
        if (ttl.isPresent() && (ttl.get().isNegative() || ttl.get().isZero())) {
            throw new IllegalArgumentException("a token's ttl must be positive: " + ttl.get());
        }
        byte[] idBytes = new byte[6];
        byte[] secretBytes = new byte[SECRET_BYTES];
        String id;
        do {
            random.nextBytes(idBytes);
            id = HexFormat.of().formatHex(idBytes);
        } while (tokens.containsKey(id));
        random.nextBytes(secretBytes);
        String secret =
                PREFIX + id + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secretBytes);
        Instant now = clock.instant();
        Token.Builder token = Token.newBuilder()
                .setId(id)
                .setName(name)
                .setBranches(branches.glob())
                .setCreatedAt(now.toString());
        EnumSet.copyOf(scopes).forEach(s -> token.addScopes(s.label()));
        ttl.ifPresent(d -> token.setExpiresAt(now.plus(d).toString()));
        StoredToken entry = StoredToken.newBuilder()
                .setToken(token)
                .setSecretSha256(sha256Hex(secret))
                .build();
        Map<String, StoredToken> next = new LinkedHashMap<>(tokens);
        next.put(id, entry);
        write(next);
        return new Created(entry.getToken(), secret);
    }

    /** Every issued token, oldest first, expired ones included (they say when they expired). */
    public List<Token> list() {
        List<Token> out = new ArrayList<>();
        tokens.values().forEach(t -> out.add(t.getToken()));
        return out;
    }

    /**
     * Revokes token {@code id}: it is refused from the next request on, and forgotten.
     *
     * @return the token revoked; empty when there is no such token
     * @throws IllegalStateException when the file cannot be written; the token stays valid
     */
    public synchronized Optional<Token> revoke(String id) {
        StoredToken gone = tokens.get(id);
        if (gone == null) {
            return Optional.empty();
        }
        Map<String, StoredToken> next = new LinkedHashMap<>(tokens);
        next.remove(id);
        write(next);
        return Optional.of(gone.getToken());
    }

    /** What {@code presented} (the bearer token as sent) is to this store. */
    public Authentication authenticate(String presented) {
        if (!presented.startsWith(PREFIX)) {
            return new Authentication.Unknown();
        }
        int end = presented.indexOf('_', PREFIX.length());
        if (end < 0) {
            return new Authentication.Unknown();
        }
        StoredToken entry = tokens.get(presented.substring(PREFIX.length(), end));
        if (entry == null
                || !MessageDigest.isEqual(HexFormat.of().parseHex(entry.getSecretSha256()), sha256(presented))) {
            return new Authentication.Unknown();
        }
        Token t = entry.getToken();
        if (!t.getExpiresAt().isEmpty()) {
            Instant expires = Instant.parse(t.getExpiresAt());
            if (!clock.instant().isBefore(expires)) {
                return new Authentication.Expired(t.getId(), expires);
            }
        }
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        t.getScopesList().forEach(s -> scopes.add(Scope.parse(s)));
        BranchPattern branches = t.getBranches().isEmpty() ? BranchPattern.ANY : new BranchPattern(t.getBranches());
        return new Authentication.Valid(new Principal(t.getId(), t.getName(), scopes, branches));
    }

    private void write(Map<String, StoredToken> next) {
        TokenFile.Builder out = TokenFile.newBuilder();
        next.values().forEach(out::addTokens);
        byte[] bytes = Json.print(out).getBytes(StandardCharsets.UTF_8);
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve(FILE + ".new");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
        } catch (IOException e) {
            throw new IllegalStateException(
                    "cannot write the token file " + file + ": " + e.getMessage() + "; nothing was changed", e);
        }
        tokens = Collections.unmodifiableMap(new LinkedHashMap<>(next));
    }

    private static String sha256Hex(String s) {
        return HexFormat.of().formatHex(sha256(s));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
