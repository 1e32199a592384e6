package io.github.dropitjvm.train.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The CIFAR-10 binary format: files of records of 1 label byte (0..9) and 3072 pixel bytes (1024 R, 1024 G,
 * 1024 B, each plane 32×32 row-major), any number of records per file. A CIFAR-10 directory holds
 * {@code data_batch_1.bin} .. {@code data_batch_5.bin} (training) and {@code test_batch.bin} (test), as in the
 * {@code cifar-10-batches-bin} folder of the official archive. The project cannot download CIFAR-10; the user
 * gives the directory.
 */
public final class Cifar10 {
    private Cifar10() {}

    /** Bytes per image (3×32×32). */
    public static final int IMAGE_BYTES = 3 * 32 * 32;
    /** Bytes per record: the label byte and the image. */
    public static final int RECORD_BYTES = 1 + IMAGE_BYTES;
    /** The training files, in order. */
    public static final List<String> TRAIN_FILES =
            List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin");
    /** The test file. */
    public static final String TEST_FILE = "test_batch.bin";

    /**
     * Reads the six files of a CIFAR-10 directory. Also accepts a directory holding {@code cifar-10-batches-bin/}.
     *
     * @throws DataException naming the directory and the missing files, or naming a file and what is wrong with it
     */
    public static Split load(Path dir) {
        Path d = dir;
        if (!Files.exists(d.resolve(TEST_FILE)) && Files.isDirectory(d.resolve("cifar-10-batches-bin")))
            d = d.resolve("cifar-10-batches-bin");
        List<String> missing = new ArrayList<>();
        for (String f : TRAIN_FILES) if (!Files.isRegularFile(d.resolve(f))) missing.add(f);
        if (!Files.isRegularFile(d.resolve(TEST_FILE))) missing.add(TEST_FILE);
        if (!missing.isEmpty())
            throw new DataException("dataset cifar10: " + d + " lacks " + String.join(", ", missing)
                    + ". CIFAR-10 is not fetched automatically: download the binary version (cifar-10-binary.tar.gz from"
                    + " https://www.cs.toronto.edu/~kriz/cifar.html), extract it and pass its cifar-10-batches-bin"
                    + " directory as --data-dir");
        List<Path> train = new ArrayList<>();
        for (String f : TRAIN_FILES) train.add(d.resolve(f));
        return new Split(read("cifar10-train", train), read("cifar10-test", List.of(d.resolve(TEST_FILE))));
    }

    /** Reads and concatenates CIFAR-10 binary files into one 3×32×32 image set named name. */
    public static ImageSet read(String name, List<Path> files) {
        List<byte[]> contents = new ArrayList<>();
        long records = 0;
        for (Path f : files) {
            byte[] b;
            try {
                b = Files.readAllBytes(f);
            } catch (IOException e) {
                throw new DataException(f + ": cannot read: " + DataException.reason(e), e);
            }
            check(b, f.toString());
            contents.add(b);
            records += b.length / RECORD_BYTES;
        }
        if (records * IMAGE_BYTES > Integer.MAX_VALUE - 16)
            throw new DataException(name + ": " + records + " CIFAR-10 records are too many to hold in one array");
        byte[] px = new byte[(int) records * IMAGE_BYTES];
        int[] labels = new int[(int) records];
        int i = 0;
        for (byte[] b : contents) {
            for (int r = 0; r < b.length / RECORD_BYTES; r++, i++) {
                labels[i] = b[r * RECORD_BYTES];
                System.arraycopy(b, r * RECORD_BYTES + 1, px, i * IMAGE_BYTES, IMAGE_BYTES);
            }
        }
        return new ImageSet(name, px, labels, 3, 32, 32, 10);
    }

    /** Refuses bytes that are not whole records or hold a label outside 0..9. */
    static void check(byte[] b, String source) {
        if (b.length == 0) throw new DataException(source + ": empty file, expected CIFAR-10 records of " + RECORD_BYTES + " bytes");
        if (b.length % RECORD_BYTES != 0)
            throw new DataException(source + ": truncated or not CIFAR-10 binary: " + b.length + " bytes is not a whole number of "
                    + RECORD_BYTES + "-byte records (" + b.length / RECORD_BYTES + " records and " + b.length % RECORD_BYTES
                    + " bytes left over)");
        for (int r = 0; r < b.length / RECORD_BYTES; r++) {
            int label = b[r * RECORD_BYTES] & 0xFF;
            if (label > 9)
                throw new DataException(source + ": record " + r + " has label " + label + ", outside 0..9 (not a CIFAR-10 file;"
                        + " CIFAR-100 records have 2 label bytes)");
        }
    }

    /** The bytes of a CIFAR-10 binary file holding these images (N×3×32×32) and labels; for tests and tools. */
    public static byte[] encode(byte[] pixels, int[] labels) {
        if ((long) labels.length * IMAGE_BYTES != pixels.length)
            throw new IllegalArgumentException("CIFAR-10: " + pixels.length + " bytes are not " + labels.length + " images of 3x32x32");
        byte[] out = new byte[labels.length * RECORD_BYTES];
        for (int i = 0; i < labels.length; i++) {
            out[i * RECORD_BYTES] = (byte) labels[i];
            System.arraycopy(pixels, i * IMAGE_BYTES, out, i * RECORD_BYTES + 1, IMAGE_BYTES);
        }
        return out;
    }
}
