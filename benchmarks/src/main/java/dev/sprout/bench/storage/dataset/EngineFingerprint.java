package dev.sprout.bench.storage.dataset;

import dev.sprout.storage.PageStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * Identifies the build of the storage engine on the class path: a SHA-256 over the names and bytes of every
 * class under {@code dev/sprout/storage/}. The engine has no on-disk format version yet, so a dataset records
 * the fingerprint of the engine that wrote it and is generated again when the engine changes; a store written
 * by an older build may not even open correctly with a newer one.
 */
public final class EngineFingerprint {
    private static final String PACKAGE_DIR = "dev/sprout/storage/";

    private EngineFingerprint() {}

    /** The fingerprint of the engine on the class path (computed once per JVM). */
    public static String current() {
        return Holder.CURRENT;
    }

    private static final class Holder {
        static final String CURRENT = compute();
    }

    private static String compute() {
        try {
            Path source = Path.of(PageStore.class
                    .getProtectionDomain()
                    .getCodeSource()
                    .getLocation()
                    .toURI());
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            if (Files.isDirectory(source)) {
                Path root = source.resolve(PACKAGE_DIR);
                try (var files = Files.walk(root)) {
                    for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                        sha.update(root.relativize(f).toString().getBytes(StandardCharsets.UTF_8));
                        sha.update(Files.readAllBytes(f));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(source.toFile())) {
                    List<JarEntry> entries = jar.stream()
                            .filter(e -> e.getName().startsWith(PACKAGE_DIR) && !e.isDirectory())
                            .sorted(Comparator.comparing(JarEntry::getName))
                            .toList();
                    for (JarEntry e : entries) {
                        sha.update(e.getName().getBytes(StandardCharsets.UTF_8));
                        try (InputStream in = jar.getInputStream(e)) {
                            sha.update(in.readAllBytes());
                        }
                    }
                }
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fingerprint the storage engine's classes", e);
        } catch (URISyntaxException | NoSuchAlgorithmException e) {
            throw new IllegalStateException("cannot fingerprint the storage engine's classes", e);
        }
    }
}
