package dev.sprout.storage.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDB;

class NativeRocksTest {
    @TempDir
    Path base;

    @Test
    void theLibraryIsExtractedOnceUnderItsVersionAndAHalfWrittenOneIsReplaced() throws Exception {
        String file = NativeRocks.LOADED_AS;
        URL resource = RocksDB.class.getClassLoader().getResource(NativeRocks.RESOURCE);
        assertNotNull(resource, NativeRocks.RESOURCE + " is in rocksdbjni's jar");
        long size = resource.openConnection().getContentLengthLong();

        Path dir = NativeRocks.extracted(resource, file, base);
        assertTrue(dir.getFileName().toString().startsWith("rocksdbjni-"), dir.toString());
        Path lib = dir.resolve(file);
        assertEquals(size, Files.size(lib));
        FileTime made = FileTime.fromMillis(1_000_000);
        Files.setLastModifiedTime(lib, made);

        assertEquals(dir, NativeRocks.extracted(resource, file, base), "the same version, the same directory");
        assertEquals(made, Files.getLastModifiedTime(lib), "not written again");

        Files.write(lib, new byte[100]); // as if a copy had been cut short by hand
        NativeRocks.extracted(resource, file, base);
        assertEquals(size, Files.size(lib), "a file of the wrong size is replaced");
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(lib), files.toList(), "no partial copy is left behind");
        }
    }

    @Test
    void theStoreLoadsItFromTheVersionedDirectory() {
        Optional<Path> dir = NativeRocks.load();
        assertTrue(dir.isPresent(), "loaded from a directory of its version, not a temporary file");
        assertTrue(Files.isRegularFile(dir.get().resolve(NativeRocks.LOADED_AS)), dir.toString());
        assertTrue(RocksDB.rocksdbVersion().getMajor() >= 10, "the library answers");
    }
}
