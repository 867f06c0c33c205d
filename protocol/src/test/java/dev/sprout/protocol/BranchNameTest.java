package dev.sprout.protocol;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BranchNameTest {
    @Test
    void theRule() {
        for (String ok :
                List.of("a", "0", "main", "feature-x", "team/feature_1", "a".repeat(63), "9-lives", "pr-123")) {
            assertTrue(BranchName.isValid(ok), ok);
        }
        for (String bad : Arrays.asList(
                null, "", "a".repeat(64), "Main", "-x", "_x", "/x", "a b", "a.b", "é", "a\u0000b", "x\n")) {
            assertFalse(BranchName.isValid(bad), String.valueOf(bad));
        }
    }
}
