package dev.sprout.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class OwnerTest {
    private static final List<String> PASSWD = List.of(
            "root:x:0:0:root:/root:/bin/bash",
            "postgresql:x:7:7::/:/bin/false",
            "postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash",
            "broken:x:abc:1::/:/bin/false");

    @Test
    void readsUidAndGidOfTheNamedUserOnly() {
        assertEquals(Optional.of(new Owner(101, 104)), Owner.fromPasswd(PASSWD, "postgres"));
        assertEquals(Optional.empty(), Owner.fromPasswd(PASSWD, "nobody"));
        assertEquals(Optional.empty(), Owner.fromPasswd(PASSWD, "broken"));
        assertEquals(Optional.empty(), Owner.fromPasswd(List.of("", "#comment", "postgres"), "postgres"));
    }

    @Test
    void byteSizesAreForPeople() {
        assertEquals("0 B", ByteSizes.format(0));
        assertEquals("1023 B", ByteSizes.format(1023));
        assertEquals("8.0 KiB", ByteSizes.format(8192));
        assertEquals("64.0 MiB", ByteSizes.format(64L << 20));
        assertEquals("1.5 GiB", ByteSizes.format(3L << 29));
        assertEquals("18446744073709551615 B", ByteSizes.format(-1));
    }
}
