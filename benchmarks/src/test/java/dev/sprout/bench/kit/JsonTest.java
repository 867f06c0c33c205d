package dev.sprout.bench.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's JSON: what another harness reads back must be valid JSON with the figures as written. */
class JsonTest {
    @Test
    void figuresNotMeasuredAreNullAndTheOrderIsKept() {
        Map<String, Object> o = Json.object();
        o.put("z", Double.NaN);
        o.put("a", 2.0);
        o.put("p50", 1.2345);
        o.put("inf", Double.POSITIVE_INFINITY);
        o.put("count", 1000L);
        o.put("text", "p99 <= 10 ms, \"quoted\"\n");
        o.put("samples", Arrays.asList(1.5, Double.NaN, 3.0));
        o.put("none", null);
        String text = Json.write(o);

        JsonObject back = JsonParser.parseString(text).getAsJsonObject();
        assertEquals(List.of("z", "a", "p50", "inf", "count", "text", "samples", "none"), List.copyOf(back.keySet()));
        assertEquals(true, back.get("z").isJsonNull());
        assertEquals(true, back.get("inf").isJsonNull());
        assertEquals("2", back.get("a").toString(), "a whole double is written as an integer");
        assertEquals(1.2345, back.get("p50").getAsDouble());
        assertEquals(1000, back.get("count").getAsLong());
        assertEquals("p99 <= 10 ms, \"quoted\"\n", back.get("text").getAsString(), "no HTML escaping, escapes undone");
        assertEquals("[1.5,null,3]", back.get("samples").toString());
        assertEquals(true, back.get("none").isJsonNull());
    }

    @Test
    void millisKeepsThreeDecimals() {
        assertEquals(List.of(1.235, 0.0, 12.0), Json.millis(List.of(1.23456, 0.0001, 12.0)));
    }

    @Test
    void objectsFromKeysAndValuesKeepTheirOrder() {
        assertEquals(
                "{\n  \"b\": 1,\n  \"a\": [\n    0.5,\n    null\n  ],\n  \"c\": {\n    \"d\": true\n  }\n}\n",
                Json.write(Json.object("b", 1.0, "a", Arrays.asList(0.5, Double.NaN), "c", Json.object("d", true))));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> Json.object("lonely"));
    }
}
