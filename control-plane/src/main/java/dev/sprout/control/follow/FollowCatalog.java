package dev.sprout.control.follow;

import dev.sprout.storage.catalog.Catalog;
import dev.sprout.storage.timeline.TimelineId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The followers, durable in the store's {@link Catalog} under {@code follow/TIMELINE}, and their source roles'
 * passwords, each in a file {@code follow-TIMELINE.password} (mode 0600) of the pageserver's secrets directory: a
 * password never enters the store (nor, later, whatever the store is copied to).
 *
 * <p>Not thread-safe: the {@link dev.sprout.control.ControlPlane} serializes its changes.
 */
public final class FollowCatalog {
    static final String PREFIX = "follow/";
    private final Catalog catalog;
    private final Path secrets;

    public FollowCatalog(Catalog catalog, Path secrets) {
        this.catalog = catalog;
        this.secrets = secrets;
    }

    public Optional<Follow> find(TimelineId timeline) {
        return catalog.get(PREFIX + timeline).map(Follow::decode);
    }

    public List<Follow> all() {
        List<Follow> out = new ArrayList<>();
        catalog.scan(PREFIX).values().forEach(v -> out.add(Follow.decode(v)));
        return out;
    }

    /** The catalog change that records {@code f}, for a write that carries other changes too. */
    public static Map<String, Optional<byte[]>> put(Follow f) {
        return Map.of(PREFIX + f.timeline(), Optional.of(f.encode()));
    }

    public void write(Follow f) {
        catalog.write(put(f));
    }

    /** Removes the record and the password. */
    public void remove(TimelineId timeline) {
        catalog.write(Map.of(PREFIX + timeline, Optional.empty()));
        try {
            Files.deleteIfExists(passwordFile(timeline));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + passwordFile(timeline), e);
        }
    }

    public void savePassword(TimelineId timeline, String password) {
        Path file = passwordFile(timeline);
        try {
            Files.createDirectories(secrets);
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, password, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the source's password in " + file, e);
        }
    }

    public String password(TimelineId timeline) {
        try {
            return Files.readString(passwordFile(timeline), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the source's password from " + passwordFile(timeline), e);
        }
    }

    private Path passwordFile(TimelineId timeline) {
        return secrets.resolve("follow-" + timeline + ".password");
    }
}
