package dev.sprout.bench.storage.dataset;

import dev.sprout.bench.kit.Harness;
import dev.sprout.bench.support.BenchEnv;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Prepares the persistent datasets before a JMH run, so that a one-time generation (the 10 GiB parent takes
 * minutes) is not mistaken for a slow benchmark setup, and describes them afterwards.
 *
 * <pre>
 * java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar dev.sprout.bench.storage.dataset.DatasetTool prepare [name...]
 * java ... DatasetTool describe
 * </pre>
 */
@Command(
        name = "DatasetTool",
        mixinStandardHelpOptions = true,
        description = "Prepares or describes the storage benchmarks' datasets.")
public final class DatasetTool implements Callable<Integer> {
    enum Action {
        prepare,
        describe
    }

    @Parameters(index = "0", paramLabel = "prepare|describe")
    Action action;

    @Parameters(index = "1..*", paramLabel = "DATASET", description = "10mib, 10gib, ... (none: all)")
    List<String> names = List.of();

    public static void main(String[] args) {
        Harness.main(new DatasetTool(), args);
    }

    @Override
    public Integer call() {
        List<Dataset> chosen = names.isEmpty()
                ? List.of(Dataset.values())
                : names.stream().map(Dataset::named).toList();
        if (action == Action.prepare) {
            // Leftovers of an interrupted run; datasets are never opened in place, only cloned into work/.
            BenchEnv.deleteTree(BenchEnv.baseDir().resolve("work"));
        }
        for (Dataset d : chosen) {
            var found = action == Action.prepare ? Optional.of(DatasetStore.prepare(d)) : DatasetStore.find(d);
            if (found.isEmpty()) {
                System.out.println(String.format(
                        Locale.ROOT, "%-12s %s: not generated yet by this engine build", d.dirName(), d.directory()));
                continue;
            }
            PreparedDataset p = found.get();
            System.out.println(String.format(
                    Locale.ROOT,
                    "%-12s %s: %d file(s) x %,d blocks x %d version(s) = %.2f GiB of images, %.2f GiB on disk, head LSN %d, generated in %.0f s by engine %s",
                    d.dirName(),
                    p.storeDir(),
                    p.shape().files(),
                    p.shape().blocksPerFile(),
                    p.shape().versions(),
                    p.shape().imageBytes() / (double) (1L << 30),
                    p.storeBytes() / (double) (1L << 30),
                    p.lastLsn(),
                    p.generationSeconds(),
                    p.engine()));
        }
        return 0;
    }
}
