package dev.sprout.diff.data;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.reflect.TypeToken;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON that PostgreSQL hands back (catalog lists, rows as {@code to_jsonb}), parsed with Gson. */
final class Json {
    private static final Gson GSON = new Gson();

    private Json() {}

    static List<String> strings(String json) {
        List<String> list = GSON.fromJson(json, new TypeToken<List<String>>() {}.getType());
        return list == null ? List.of() : list;
    }

    static List<List<String>> pairs(String json) {
        List<List<String>> list = GSON.fromJson(json, new TypeToken<List<List<String>>>() {}.getType());
        return list == null ? List.of() : list;
    }

    /** A key as {@code jsonb_build_array} of its columns gives it: each column's name to its value (JSON text). */
    static Map<String, String> row(String array, List<String> names) {
        Map<String, String> out = new LinkedHashMap<>();
        com.google.gson.JsonArray values = JsonParser.parseString(array).getAsJsonArray();
        for (int i = 0; i < names.size(); i++) {
            out.put(names.get(i), values.get(i).toString());
        }
        return out;
    }

    /** A row as {@code to_jsonb} gives it: column name to its value as JSON text ({@code null} for SQL NULL). */
    static Map<String, String> row(String json) {
        Map<String, String> out = new LinkedHashMap<>();
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        for (Map.Entry<String, JsonElement> e : o.entrySet()) {
            out.put(e.getKey(), e.getValue().toString());
        }
        return out;
    }
}
