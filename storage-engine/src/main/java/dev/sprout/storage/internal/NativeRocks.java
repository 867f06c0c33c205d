package dev.sprout.storage.internal;

import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads RocksDB's JNI library from a directory of its own version ({@code ~/.cache/sprout/native/rocksdbjni-CRC/},
 * CRC being the library's checksum in the jar), extracted there once. RocksDB's own loader extracts the 15 MB library
 * into {@code /tmp} under a new name at every JVM start and deletes it only at a normal exit, so every killed
 * process left one behind. The file appears under its final name by an atomic rename, so concurrent first starts
 * are safe and a half-written file is never loaded. When no such directory can be written, RocksDB's own loader
 * is used.
 */
final class NativeRocks {
    private static final Logger LOG = LoggerFactory.getLogger(NativeRocks.class);

    private NativeRocks() {}

    /** The library's name in rocksdbjni's jar. */
    static final String RESOURCE = Environment.getJniLibraryFileName("rocksdb");

    /**
     * The name {@link RocksDB#loadLibrary(List)} looks for in a directory: rocksdbjni 10.10 asks for {@code
     * librocksdbjnijni-linux64.so}, not the jar's name; extracted under whatever name it asks for, the file is found
     * by this version and by one that corrects the name.
     */
    static final String LOADED_AS = Environment.getJniLibraryFileName("rocksdbjni");

    /**
     * Loads the library (once per JVM; later calls return at once); answers the directory it was loaded from, empty
     * when RocksDB's own loader had to extract it to a temporary file.
     */
    static synchronized Optional<Path> load() {
        URL resource = RocksDB.class.getClassLoader().getResource(RESOURCE);
        Optional<Path> dir = Optional.empty();
        if (resource != null) {
            for (Path base : bases()) {
                try {
                    dir = Optional.of(extracted(resource, LOADED_AS, base));
                    break;
                } catch (IOException | RuntimeException e) {
                    LOG.debug("cannot keep RocksDB's library under {}: {}", base, e.toString());
                }
            }
        }
        if (dir.isPresent()) {
            try {
                RocksDB.loadLibrary(List.of(dir.get().toString()));
                return dir;
            } catch (UnsatisfiedLinkError e) {
                LOG.warn("RocksDB's library in {} did not load ({}); extracting it to a temporary file", dir.get(), e);
            }
        }
        RocksDB.loadLibrary();
        return Optional.empty();
    }

    /** The user's cache directory, then one under the temporary directory named after the user. */
    private static List<Path> bases() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path cache = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return List.of(
                cache.resolve("sprout").resolve("native"),
                Path.of(System.getProperty("java.io.tmpdir"), "sprout-native-" + System.getProperty("user.name")));
    }

    /**
     * The directory holding the library at {@code resource} (a jar's entry) as {@code file}, extracted first if
     * needed.
     */
    static Path extracted(URL resource, String file, Path base) throws IOException {
        URLConnection connection = resource.openConnection();
        long size;
        String version;
        if (connection instanceof JarURLConnection jar) {
            JarEntry entry = jar.getJarEntry();
            size = entry.getSize();
            version = Long.toHexString(entry.getCrc());
        } else { // a directory on the class path (an IDE): the library's size and time stand for its version
            size = connection.getContentLengthLong();
            version = Long.toHexString(size) + "-" + Long.toHexString(connection.getLastModified());
        }
        Path dir = base.resolve("rocksdbjni-" + version);
        Path target = dir.resolve(file);
        if (size >= 0 && Files.isRegularFile(target) && Files.size(target) == size) {
            return dir;
        }
        Files.createDirectories(dir);
        byte[] random = new byte[6];
        new java.security.SecureRandom().nextBytes(random);
        Path partial = dir.resolve(file + ".partial-" + HexFormat.of().formatHex(random));
        try (InputStream in = connection.getInputStream()) {
            Files.copy(in, partial);
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(partial);
        }
        return dir;
    }
}
