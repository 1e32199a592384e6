package io.github.dropitjvm.train.data;

import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Philox;
import io.github.dropitjvm.tensor.Tensor;

import java.io.InputStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Datasets by name:
 * <ul>
 *   <li>{@code fashion-mnist} (the default): 60 000 / 10 000 28×28 grey images, 10 classes; fetched on first use
 *       into the data directory (see {@link Fetcher}, {@link IdxDataset#FASHION_MNIST}).
 *   <li>{@code mnist}: the same shape, handwritten digits; fetched likewise ({@link IdxDataset#MNIST}).
 *   <li>{@code fashion-mnist-mini}: the first 2 000 train / 500 test images of Fashion-MNIST, shipped in this jar
 *       (no network), checksum-verified.
 *   <li>{@code cifar10}: 50 000 / 10 000 3×32×32 colour images from the CIFAR-10 binary files in a directory the
 *       user gives (see {@link Cifar10}); never downloaded.
 *   <li>{@code synthetic}: random class-dependent images for smoke runs (no files).
 * </ul>
 * Plus what goes with each: {@link #normalizationFor}, {@link #augmentationFor}, {@link #defaultValidationSize}.
 */
public final class Datasets {
    private Datasets() {}

    /** The dataset used when none is named. */
    public static final String DEFAULT = "fashion-mnist";

    /** Every dataset name {@link #load} accepts. */
    public static final List<String> NAMES = List.of("fashion-mnist", "mnist", "fashion-mnist-mini", "cifar10", "synthetic");

    /** Where the shipped mini set lies on the classpath. */
    static final String MINI_RESOURCES = "/datasets/fashion-mnist-mini/";

    /** SHA-256 of the decoded bytes of the mini set's files, in {@link IdxDataset#MNIST_FILE_NAMES} order. */
    static final List<String> MINI_SHA256 = List.of(
            "71a9f8cec24060d6752b3e4940ce6d6fd729334afa47b735dd553481aa83b53e",
            "8983259dfbc9f185f92698916f7daf361704b43ba7d19568cc7bcdeefdc1bece",
            "c9bd0ed7148856eb2287d902861921296d6c36d95a5113341a35554343e84123",
            "9f5f7b9143df7bffff73a8bf7d8a53545dbf787f86e5e195c64401d2c6f8f372");

    /**
     * The data directory when none is given: $DROPIT_DATA_DIR if set, else $XDG_CACHE_HOME/dropit-jvm/data, else
     * ~/.cache/dropit-jvm/data.
     */
    public static Path defaultDataDir() {
        String env = System.getenv("DROPIT_DATA_DIR");
        if (env != null && !env.isBlank()) return Path.of(env);
        String xdg = System.getenv("XDG_CACHE_HOME");
        if (xdg != null && !xdg.isBlank()) return Path.of(xdg, "dropit-jvm", "data");
        return Path.of(System.getProperty("user.home"), ".cache", "dropit-jvm", "data");
    }

    /**
     * Loads a dataset, fetching it first if it needs files the data directory lacks (progress lines go to stderr).
     *
     * @param dataDir the data directory (null: {@link #defaultDataDir()}); for {@code cifar10}, the directory holding
     *     the CIFAR-10 binary files (or its {@code cifar10/} or {@code cifar-10-batches-bin/} subfolder)
     * @throws DataException when the files cannot be obtained or are refused; the message says why
     * @throws IllegalArgumentException for an unknown name
     */
    public static Split load(String name, Path dataDir) {
        return load(name, dataDir, new Fetcher(dataDir == null ? defaultDataDir() : dataDir, Fetcher.SYSTEM, System.err::println));
    }

    /** As {@link #load(String, Path)}, with the fetcher to use for {@code fashion-mnist} and {@code mnist}. */
    public static Split load(String name, Path dataDir, Fetcher fetcher) {
        Path dir = dataDir == null ? defaultDataDir() : dataDir;
        return switch (name) {
            case "synthetic" -> new Split(synthetic("synthetic-train", 2000, 1), synthetic("synthetic-test", 500, 2));
            case "fashion-mnist" -> idx(IdxDataset.FASHION_MNIST, fetcher);
            case "mnist" -> idx(IdxDataset.MNIST, fetcher);
            case "fashion-mnist-mini" -> mini();
            case "cifar10" -> Cifar10.load(cifarDir(dir));
            default -> throw new IllegalArgumentException("unknown dataset '" + name + "'; datasets: " + NAMES);
        };
    }

    /** Fetches (if needed) and verifies the files of fashion-mnist or mnist; returns the dataset's folder. */
    public static Path fetch(String name, Path dataDir, Fetcher.CommandRunner runner, Consumer<String> log) {
        IdxDataset ds = switch (name) {
            case "fashion-mnist" -> IdxDataset.FASHION_MNIST;
            case "mnist" -> IdxDataset.MNIST;
            default -> throw new IllegalArgumentException("dataset '" + name + "' cannot be fetched; fetchable: fashion-mnist, mnist"
                    + (name.equals("cifar10") ? " (CIFAR-10 is read from a directory you give with --data-dir)" : ""));
        };
        Fetcher f = new Fetcher(dataDir == null ? defaultDataDir() : dataDir, runner, log);
        f.obtain(ds);
        return f.folder(ds);
    }

    /** The train/test split of an IDX dataset whose files the fetcher obtains and verifies. */
    static Split idx(IdxDataset ds, Fetcher fetcher) {
        List<byte[]> b = fetcher.obtain(ds);
        Path folder = fetcher.folder(ds);
        List<String> f = ds.files();
        return new Split(
                Idx.imageSet(ds.name() + "-train", b.get(0), folder.resolve(f.get(0)).toString(), b.get(1), folder.resolve(f.get(1)).toString(), 10),
                Idx.imageSet(ds.name() + "-test", b.get(2), folder.resolve(f.get(2)).toString(), b.get(3), folder.resolve(f.get(3)).toString(), 10));
    }

    /** The shipped fashion-mnist-mini set, read from the classpath and checksum-verified. */
    static Split mini() {
        byte[][] b = new byte[4][];
        String[] src = new String[4];
        for (int i = 0; i < 4; i++) {
            String res = MINI_RESOURCES + IdxDataset.MNIST_FILE_NAMES.get(i) + ".gz";
            src[i] = "classpath:" + res;
            InputStream in = Datasets.class.getResourceAsStream(res);
            if (in == null) throw new DataException("dataset fashion-mnist-mini: resource " + res + " is missing from the classpath");
            b[i] = Idx.decode(in, src[i]);
            Checksums.verify(src[i], b[i], MINI_SHA256.get(i));
        }
        return new Split(Idx.imageSet("fashion-mnist-mini-train", b[0], src[0], b[1], src[1], 10),
                Idx.imageSet("fashion-mnist-mini-test", b[2], src[2], b[3], src[3], 10));
    }

    private static Path cifarDir(Path dir) {
        for (Path d : List.of(dir, dir.resolve("cifar10"), dir.resolve("cifar10").resolve("cifar-10-batches-bin"),
                dir.resolve("cifar-10-batches-bin")))
            if (java.nio.file.Files.isRegularFile(d.resolve(Cifar10.TEST_FILE))) return d;
        return dir;
    }

    /**
     * The standard normalization of a dataset: Fashion-MNIST mean 0.2860 std 0.3530, MNIST 0.1307 / 0.3081, CIFAR-10
     * per channel (0.4914, 0.4822, 0.4465) / (0.2470, 0.2435, 0.2616); synthetic from its construction.
     */
    public static Normalization normalizationFor(String name) {
        return switch (name) {
            case "fashion-mnist", "fashion-mnist-mini" -> new Normalization(new float[] {0.2860f}, new float[] {0.3530f});
            case "mnist" -> new Normalization(new float[] {0.1307f}, new float[] {0.3081f});
            case "cifar10" -> new Normalization(new float[] {0.4914f, 0.4822f, 0.4465f}, new float[] {0.2470f, 0.2435f, 0.2616f});
            // noise U(0, 0.5) plus a +0.5 band over 4 of 28 rows: mean 0.25 + 0.5·4/28, variance 0.5²/12 + 0.25·(1/7)(6/7)
            case "synthetic" -> new Normalization(new float[] {0.3214f}, new float[] {0.2258f});
            default -> throw new IllegalArgumentException("unknown dataset '" + name + "'; datasets: " + NAMES);
        };
    }

    /**
     * The augmentation for training (train true) or evaluation ({@link Augmentation#NONE}): Fashion-MNIST random crop
     * with padding 2 and horizontal flip; MNIST random crop with padding 2, no flip (mirrored digits are other
     * symbols); CIFAR-10 random crop with padding 4 and flip; synthetic none (its class is a band position).
     */
    public static Augmentation augmentationFor(String name, boolean train) {
        if (!NAMES.contains(name)) throw new IllegalArgumentException("unknown dataset '" + name + "'; datasets: " + NAMES);
        if (!train) return Augmentation.NONE;
        return switch (name) {
            case "fashion-mnist", "fashion-mnist-mini" -> new RandomCropFlip(2, true);
            case "mnist" -> new RandomCropFlip(2, false);
            case "cifar10" -> new RandomCropFlip(4, true);
            default -> Augmentation.NONE;
        };
    }

    /** The usual validation size: 5 000 for the full datasets, 200 for fashion-mnist-mini and synthetic. */
    public static int defaultValidationSize(String name) {
        return switch (name) {
            case "fashion-mnist", "mnist", "cifar10" -> 5000;
            case "fashion-mnist-mini", "synthetic" -> 200;
            default -> throw new IllegalArgumentException("unknown dataset '" + name + "'; datasets: " + NAMES);
        };
    }

    /**
     * Splits a training set into a remainder to train on and a validation part of size images, chosen by a
     * Philox-driven shuffle of (seed): the same seed gives the same split. Both parts keep the original order of
     * their images; they are disjoint and together are the whole set.
     *
     * @param size 0 &lt; size &lt; train.size()
     */
    public static TrainValidation validationSplit(ImageSet train, int size, long seed) {
        int n = train.size();
        if (size <= 0 || size >= n)
            throw new IllegalArgumentException("validation split of " + train.name() + ": size " + size + " must be in [1, " + (n - 1) + "]");
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        int k0 = (int) seed, k1 = (int) (seed >>> 32);
        for (int i = n - 1; i > 0; i--) { // Fisher–Yates, its own Philox stream (0x7a1)
            long r = Integer.toUnsignedLong(Philox.first(i, 0, 0, 0x7a1, k0, k1));
            int j = (int) ((r * (i + 1)) >>> 32);
            int t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        int[] val = Arrays.copyOfRange(idx, 0, size), rest = Arrays.copyOfRange(idx, size, n);
        Arrays.sort(val);
        Arrays.sort(rest);
        return new TrainValidation(train.subset(train.name() + "-rest", rest), train.subset(train.name() + "-val", val));
    }

    /** 28×28 grey images whose class c is a bright horizontal band at rows 2c..2c+3 over noise: learnable quickly. */
    static ImageSet synthetic(String name, int n, long seed) {
        float[] noise = Tensor.rand(new Generator(seed), n, 28 * 28).toFloatArray();
        byte[] px = new byte[n * 784];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            int c = i % 10;
            labels[i] = c;
            for (int p = 0; p < 784; p++) {
                int row = p / 28;
                float v = noise[i * 784 + p] * 0.5f + (row >= 2 * c + 4 && row < 2 * c + 8 ? 0.5f : 0f);
                px[i * 784 + p] = (byte) Math.min(255, (int) (v * 255));
            }
        }
        return new ImageSet(name, px, labels, 1, 28, 28, 10);
    }
}
