package dev.sprout.bench.kit;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonNull;
import com.google.gson.JsonPrimitive;
import com.google.gson.JsonSerializer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The report's figures as JSON, written by Gson: maps (kept in insertion order), lists, strings, numbers, booleans
 * and null. A number that is not finite (a figure that was not measured) is written as {@code null}, never as
 * {@code NaN}, which JSON has not; a whole double as an integer.
 */
public final class Json {
    private static final JsonSerializer<Double> DOUBLES = (d, type, context) -> !Double.isFinite(d)
            ? JsonNull.INSTANCE
            : d == Math.rint(d) && Math.abs(d) < 1e15 ? new JsonPrimitive((long) (double) d) : new JsonPrimitive(d);

    private static final Gson GSON = new GsonBuilder()
            .setPrettyPrinting()
            .serializeNulls()
            .disableHtmlEscaping()
            .registerTypeAdapter(Double.class, DOUBLES)
            .create();

    private Json() {}

    /** A new object whose keys keep the order they are put in: {@code key, value, key, value, ...}. */
    public static Map<String, Object> object(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("a key without a value: " + java.util.Arrays.toString(keysAndValues));
        }
        Map<String, Object> o = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            o.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return o;
    }

    public static String write(Object value) {
        return GSON.toJson(value) + "\n";
    }

    /** A list of doubles rounded to microseconds' worth of milliseconds, for raw samples. */
    public static List<Double> millis(List<Double> values) {
        return values.stream().map(v -> Math.round(v * 1000) / 1000.0).toList();
    }
}
