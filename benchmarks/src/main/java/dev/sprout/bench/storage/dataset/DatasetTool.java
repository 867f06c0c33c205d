package dev.sprout.bench.storage.dataset;

import dev.sprout.bench.support.BenchEnv;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Prepares the persistent datasets before a JMH run, so that a one-time generation (the 10 GiB parent takes
 * minutes) is not mistaken for a slow benchmark setup, and describes them afterwards.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar dev.sprout.bench.storage.dataset.DatasetTool prepare [name...]
 * java ... DatasetTool describe
 * </pre>
 */
public final class DatasetTool {
    private DatasetTool() {}

    public static void main(String[] args) {
        if (args.length == 0 || !(args[0].equals("prepare") || args[0].equals("describe"))) {
            System.err.println("usage: DatasetTool prepare [dataset...] | describe   (datasets: "
                    + List.of(Dataset.values()).stream().map(Dataset::dirName).toList() + ")");
            System.exit(2);
        }
        List<Dataset> chosen = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            chosen.add(Dataset.named(args[i]));
        }
        if (chosen.isEmpty()) {
            chosen.addAll(List.of(Dataset.values()));
        }
        if (args[0].equals("prepare")) {
            // Leftovers of an interrupted run; datasets are never opened in place, only cloned into work/.
            BenchEnv.deleteTree(BenchEnv.baseDir().resolve("work"));
        }
        for (Dataset d : chosen) {
            var found = args[0].equals("prepare") ? Optional.of(DatasetStore.prepare(d)) : DatasetStore.find(d);
            if (found.isEmpty()) {
                System.out.println(String.format(Locale.ROOT, "%-12s %s: not generated yet by this engine build", d.dirName(), d.directory()));
                continue;
            }
            PreparedDataset p = found.get();
            System.out.println(String.format(Locale.ROOT,
                    "%-12s %s: %d file(s) x %,d blocks x %d version(s) = %.2f GiB of images, %.2f GiB on disk, head LSN %d, generated in %.0f s by engine %s",
                    d.dirName(), p.storeDir(), p.shape().files(), p.shape().blocksPerFile(), p.shape().versions(),
                    p.shape().imageBytes() / (double) (1L << 30), p.storeBytes() / (double) (1L << 30), p.lastLsn(),
                    p.generationSeconds(), p.engine()));
        }
    }
}
