package dev.sprout.bench.report;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reads JMH's {@code -rf csv} output. For {@code Mode.SampleTime}, JMH writes one row for the mean and one per
 * percentile, named {@code <benchmark>:p0.99} and so on; this folds them into one {@link Result} per
 * (benchmark, parameters).
 */
public final class JmhCsv {

    /**
     * One benchmark run with one set of parameters.
     *
     * @param benchmark   {@code Class.method}, without the package
     * @param threads     JMH threads
     * @param samples     latency samples taken
     * @param mean        mean time per operation, in {@code unit}
     * @param error       JMH's 99.9% confidence half-width of the mean
     * @param percentiles "0.50" -> time, "0.99" -> time, ...
     * @param params      JMH parameters that apply to this benchmark
     */
    public record Result(
            String benchmark,
            int threads,
            long samples,
            double mean,
            double error,
            String unit,
            Map<String, Double> percentiles,
            Map<String, String> params) {

        public double p(String quantile) {
            Double v = percentiles.get(quantile);
            if (v == null) {
                throw new IllegalStateException(
                        benchmark + " " + params + " has no percentile " + quantile + " (run with -bm sample)");
            }
            return v;
        }

        public String param(String name) {
            return params.getOrDefault(name, "");
        }
    }

    private final List<Result> results;

    private JmhCsv(List<Result> results) {
        this.results = results;
    }

    /** Reads and joins several result files, e.g. of JMH runs made one after another in one suite. */
    public static JmhCsv read(List<Path> files) throws IOException {
        List<Result> all = new ArrayList<>();
        for (Path f : files) {
            all.addAll(read(f).results);
        }
        return new JmhCsv(List.copyOf(all));
    }

    public static JmhCsv read(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        if (lines.isEmpty()) {
            throw new IOException(csv + " is empty");
        }
        List<String> header = fields(lines.getFirst());
        int bench = header.indexOf("Benchmark");
        int threads = header.indexOf("Threads");
        int samples = header.indexOf("Samples");
        int score = header.indexOf("Score");
        int error = header.indexOf("Score Error (99.9%)");
        int unit = header.indexOf("Unit");
        if (bench < 0 || threads < 0 || samples < 0 || score < 0 || error < 0 || unit < 0) {
            throw new IOException(csv + " does not look like JMH CSV output (header: " + header + ")");
        }
        Map<String, Result> byKey = new LinkedHashMap<>();
        Map<String, Map<String, Double>> percentiles = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            List<String> f = fields(line);
            String name = f.get(bench);
            Map<String, String> params = new LinkedHashMap<>();
            for (int i = 0; i < header.size(); i++) {
                if (header.get(i).startsWith("Param: ")
                        && i < f.size()
                        && !f.get(i).isEmpty()) {
                    params.put(header.get(i).substring("Param: ".length()), f.get(i));
                }
            }
            int colon = name.indexOf(":p");
            String base = colon < 0 ? name : name.substring(0, colon);
            base = base.substring(base.lastIndexOf('.', base.lastIndexOf('.') - 1) + 1); // Class.method
            String key = base + params;
            Map<String, Double> ps = percentiles.computeIfAbsent(key, k -> new LinkedHashMap<>());
            if (colon >= 0) {
                ps.put(name.substring(colon + 2), Double.parseDouble(f.get(score)));
            } else {
                byKey.put(
                        key,
                        new Result(
                                base,
                                Integer.parseInt(f.get(threads)),
                                Long.parseLong(f.get(samples)),
                                Double.parseDouble(f.get(score)),
                                parseOrNaN(f.get(error)),
                                f.get(unit),
                                ps,
                                params));
            }
        }
        return new JmhCsv(List.copyOf(byKey.values()));
    }

    public List<Result> all() {
        return results;
    }

    /** The result of {@code benchmark} ({@code Class.method}) whose parameters include all of {@code params}. */
    public Optional<Result> find(String benchmark, Map<String, String> params) {
        return results.stream()
                .filter(r -> r.benchmark().equals(benchmark))
                .filter(r -> params.entrySet().stream()
                        .allMatch(e -> e.getValue().equals(r.params().get(e.getKey()))))
                .findFirst();
    }

    private static double parseOrNaN(String s) {
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** Splits one CSV line; fields may be quoted, with "" for a quote inside. */
    static List<String> fields(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }
}
