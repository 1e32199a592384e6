package io.github.dropitjvm.train.data;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * The IDX format of (Fashion-)MNIST: big-endian; magic {@code 0x00000803} (unsigned bytes, 3 dimensions: images)
 * or {@code 0x00000801} (unsigned bytes, 1 dimension: labels), one int32 per dimension, then the bytes, nothing
 * after them. Files may be raw or gzipped; gzip is recognised by its first two bytes, not by the file name.
 * Every refusal names the file and says what was wrong.
 */
public final class Idx {
    private Idx() {}

    /** Magic number of a 3-dimensional unsigned-byte IDX file (N×rows×cols images). */
    public static final int IMAGES_MAGIC = 0x00000803;
    /** Magic number of a 1-dimensional unsigned-byte IDX file (N labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    /** Images decoded from an IDX file: count×rows×cols unsigned bytes, row-major. */
    public record Images(int count, int rows, int cols, byte[] pixels) {}

    /** The decoded (gunzipped where gzipped) bytes of a file. */
    public static byte[] decode(Path file) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new DataException(file + ": cannot read: " + DataException.reason(e), e);
        }
        return decode(raw, file.toString());
    }

    /** The bytes of a stream, gunzipped if they start with the gzip magic; source names it in messages. */
    public static byte[] decode(InputStream in, String source) {
        try (in) {
            return decode(in.readAllBytes(), source);
        } catch (IOException e) {
            throw new DataException(source + ": cannot read: " + DataException.reason(e), e);
        }
    }

    /** The bytes themselves, or their gunzipped content if they start with the gzip magic (0x1f 0x8b). */
    public static byte[] decode(byte[] bytes, String source) {
        if (!isGzip(bytes)) return bytes;
        try (InputStream gz = new GZIPInputStream(new ByteArrayInputStream(bytes), 1 << 16)) {
            return gz.readAllBytes();
        } catch (IOException e) {
            throw new DataException(source + ": bad gzip data (" + e.getMessage() + "); the file is corrupt or truncated", e);
        }
    }

    static boolean isGzip(byte[] b) {
        return b.length >= 2 && (b[0] & 0xFF) == 0x1f && (b[1] & 0xFF) == 0x8b;
    }

    /** Parses decoded IDX image bytes (magic 0x803). */
    public static Images parseImages(byte[] idx, String source) {
        int[] dims = header(idx, source, IMAGES_MAGIC, 3, "images");
        if (dims[1] <= 0 || dims[2] <= 0)
            throw new DataException(source + ": image size " + dims[1] + "x" + dims[2] + " is not positive");
        long expected = (long) dims[0] * dims[1] * dims[2];
        int offset = 4 + 4 * 3;
        checkLength(idx, source, offset, expected, dims[0] + " images of " + dims[1] + "x" + dims[2]);
        byte[] px = java.util.Arrays.copyOfRange(idx, offset, offset + (int) expected);
        return new Images(dims[0], dims[1], dims[2], px);
    }

    /** Parses decoded IDX label bytes (magic 0x801); each label must lie in [0, numClasses). */
    public static int[] parseLabels(byte[] idx, String source, int numClasses) {
        int[] dims = header(idx, source, LABELS_MAGIC, 1, "labels");
        int offset = 4 + 4;
        checkLength(idx, source, offset, dims[0], dims[0] + " labels");
        int[] labels = new int[dims[0]];
        for (int i = 0; i < labels.length; i++) {
            int v = idx[offset + i] & 0xFF;
            if (v >= numClasses)
                throw new DataException(source + ": label " + v + " of item " + i + " is outside [0, " + numClasses + ")");
            labels[i] = v;
        }
        return labels;
    }

    /**
     * An image set from decoded IDX images and labels, refusing a count mismatch between the two.
     *
     * @param name the set's name (e.g. "fashion-mnist-train")
     */
    public static ImageSet imageSet(String name, byte[] images, String imagesSource, byte[] labels, String labelsSource,
                                    int numClasses) {
        Images im = parseImages(images, imagesSource);
        int[] lb = parseLabels(labels, labelsSource, numClasses);
        if (im.count() != lb.length)
            throw new DataException(imagesSource + " holds " + im.count() + " images but " + labelsSource + " holds "
                    + lb.length + " labels; the two files do not belong together");
        return new ImageSet(name, im.pixels(), lb, 1, im.rows(), im.cols(), numClasses);
    }

    private static int[] header(byte[] idx, String source, int magic, int ndim, String what) {
        if (idx.length < 4)
            throw new DataException(source + ": truncated: " + idx.length + " bytes, too short for an IDX header");
        ByteBuffer b = ByteBuffer.wrap(idx); // big-endian by default
        int m = b.getInt();
        if (m != magic) {
            String found = switch (m) {
                case IMAGES_MAGIC -> " (an IDX images file)";
                case LABELS_MAGIC -> " (an IDX labels file)";
                default -> "";
            };
            throw new DataException(source + ": wrong magic number 0x" + String.format("%08x", m) + found + ", expected 0x"
                    + String.format("%08x", magic) + " (IDX " + what + ": unsigned bytes, " + ndim + " dimension"
                    + (ndim > 1 ? "s" : "") + ")");
        }
        if (idx.length < 4 + 4 * ndim)
            throw new DataException(source + ": truncated: " + idx.length + " bytes, too short for an IDX header with "
                    + ndim + " dimension" + (ndim > 1 ? "s" : ""));
        int[] dims = new int[ndim];
        for (int d = 0; d < ndim; d++) {
            dims[d] = b.getInt();
            if (dims[d] < 0)
                throw new DataException(source + ": dimension " + d + " is negative (" + dims[d] + ")");
        }
        return dims;
    }

    private static void checkLength(byte[] idx, String source, int offset, long expected, String what) {
        long actual = idx.length - offset;
        if (actual < expected)
            throw new DataException(source + ": truncated: the header announces " + what + " (" + expected
                    + " data bytes) but only " + actual + " follow");
        if (actual > expected)
            throw new DataException(source + ": wrong size: the header announces " + what + " (" + expected
                    + " data bytes) but " + actual + " follow");
        if (expected > Integer.MAX_VALUE - 16)
            throw new DataException(source + ": " + what + " is too large to hold in one array");
    }

    /** IDX image bytes (magic 0x803) for n images of rows×cols. */
    public static byte[] encodeImages(int n, int rows, int cols, byte[] pixels) {
        if ((long) n * rows * cols != pixels.length)
            throw new IllegalArgumentException("IDX images: " + pixels.length + " bytes are not " + n + " images of " + rows + "x" + cols);
        ByteBuffer b = ByteBuffer.allocate(16 + pixels.length);
        b.putInt(IMAGES_MAGIC).putInt(n).putInt(rows).putInt(cols).put(pixels);
        return b.array();
    }

    /** IDX label bytes (magic 0x801); each label must fit an unsigned byte. */
    public static byte[] encodeLabels(int[] labels) {
        ByteBuffer b = ByteBuffer.allocate(8 + labels.length);
        b.putInt(LABELS_MAGIC).putInt(labels.length);
        for (int v : labels) {
            if (v < 0 || v > 255) throw new IllegalArgumentException("IDX labels: " + v + " does not fit a byte");
            b.put((byte) v);
        }
        return b.array();
    }

    /** Gzip-compressed bytes (no file name, time 0, so the output is reproducible). */
    public static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 2 + 64);
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // in-memory streams do not fail
        }
        return out.toByteArray();
    }

    /** Writes bytes to a file, gzipped when its name ends in ".gz"; the file appears whole or not at all. */
    public static void write(Path file, byte[] decoded) {
        byte[] out = file.getFileName().toString().endsWith(".gz") ? gzip(decoded) : decoded;
        Path parent = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(parent);
            Path tmp = Files.createTempFile(parent, "." + file.getFileName(), ".part");
            try {
                Files.write(tmp, out);
                Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new DataException(file + ": cannot write: " + e, e);
        }
    }
}
