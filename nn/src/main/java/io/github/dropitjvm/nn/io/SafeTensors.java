package io.github.dropitjvm.nn.io;

import io.github.dropitjvm.tensor.Backends;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reads and writes the <a href="https://github.com/huggingface/safetensors">safetensors</a> format, so weights
 * move between this project and PyTorch ({@code safetensors.torch.load_file / save_file}) unchanged.
 *
 * <p>Layout: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON mapping each tensor name to
 * {@code {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}} plus an optional {@code "__metadata__"}
 * object of string values; then the data buffer, each tensor little-endian and row-major, offsets relative to the
 * buffer's start. Files written here put the tensors back to back in the map's order, carry
 * {@code "format": "pt"} (what PyTorch's writer puts there) and {@code "dropit_format_version": "1"} in the
 * metadata, and pad the header with spaces to a multiple of 8 bytes as the reference writer does, so the data
 * starts 8-byte aligned.
 *
 * <p>Dtypes: writes F32 or BF16 for floating tensors (the caller's choice; BF16 rounds to nearest even), I64 for
 * INT64 and I32 for INT32 tensors (step counters). Reads F32, BF16, I64 and I32 into tensors of the same type,
 * so a BF16 tensor stays BF16 on read (nothing is widened that the caller may not want widened;
 * {@link Checkpoints#load} converts when it copies into the model), and F16 and F64, which this engine has no
 * dtype for, into FLOAT32 (F64 rounds to nearest). Any other dtype is refused, naming the tensor.
 *
 * <p>Reading is strict, as the reference reader is: the file must be at least 8 bytes; the header at most
 * {@value #MAX_HEADER_BYTES} bytes and inside the file; valid UTF-8 JSON of the shape above with no unknown
 * fields; each tensor's byte range exactly its shape × dtype size; the ranges must tile the data buffer with no
 * gap, overlap or trailing bytes. Every refusal is a {@link SafeTensorsException} naming the file and tensor.
 *
 * <p>Writes are atomic: the file is written under a temporary name in the target's directory, forced to disk,
 * then renamed over the target, so a reader (or a crash) sees the old file or the new one, never a mix; when
 * anything fails the temporary file is removed and the old file is left as it was. The directory must exist
 * (nothing here creates it); when it does not, or cannot take the file, the exception names the caller's path,
 * not the temporary one.
 *
 * <p>Null arguments: null metadata means none; any other null (file, map, a tensor or metadata entry) is refused
 * with an {@link IllegalArgumentException} naming it, before the file system is touched.
 */
public final class SafeTensors {
    /** Largest header accepted (the reference implementation's limit), so a corrupt length cannot exhaust memory. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** Value of {@code __metadata__.dropit_format_version} in files written here. */
    public static final String FORMAT_VERSION = "1";
    public static final String METADATA_KEY = "__metadata__";
    public static final String FORMAT_VERSION_KEY = "dropit_format_version";

    private static final int CHUNK_BYTES = 1 << 20;

    private SafeTensors() {}

    /**
     * What a file holds.
     *
     * @param metadata the {@code __metadata__} strings (empty when the file has none), in file order
     * @param tensors  the tensors on the CPU backend, in header order
     */
    public record Contents(Map<String, String> metadata, Map<String, Tensor> tensors) {
        public Contents {
            if (metadata == null) throw new IllegalArgumentException("safetensors: Contents metadata is null; pass an empty map for none");
            if (tensors == null) throw new IllegalArgumentException("safetensors: Contents tensors is null; pass an empty map for none");
            metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
            tensors = Collections.unmodifiableMap(new LinkedHashMap<>(tensors));
        }
    }

    /** The file dtypes this class knows: code, bytes per element, the engine dtype it reads into. */
    private enum FileType {
        F32(4, DType.FLOAT32), BF16(2, DType.BF16), F16(2, DType.FLOAT32), F64(8, DType.FLOAT32),
        I64(8, DType.INT64), I32(4, DType.INT32);

        final int bytes;
        final DType readAs;

        FileType(int bytes, DType readAs) {
            this.bytes = bytes;
            this.readAs = readAs;
        }

        static FileType of(String code) {
            for (FileType t : values()) if (t.name().equals(code)) return t;
            return null;
        }
    }

    // ================================================================== writing

    /**
     * Writes {@code tensors} (any backend, any strides) to {@code file} atomically, replacing it if it exists.
     *
     * @param file     where to write; its directory must exist
     * @param metadata extra {@code __metadata__} strings, or null for none; {@code format} and
     *                 {@code dropit_format_version} are always written ("pt" and {@value #FORMAT_VERSION}) and may be
     *                 given only with those values
     * @param storeAs  {@link DType#FLOAT32} (F32) or {@link DType#BF16} (BF16) for the floating tensors; integer
     *                 tensors are stored as I64/I32 regardless
     * @throws java.nio.file.NoSuchFileException naming {@code file}, when its directory does not exist
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, DType storeAs) throws IOException {
        if (file == null) throw new IllegalArgumentException("safetensors: the file to write is null; pass a path");
        if (tensors == null) throw new IllegalArgumentException("safetensors: the tensors to write are null; pass a map (empty for none)");
        if (storeAs != DType.FLOAT32 && storeAs != DType.BF16)
            throw new IllegalArgumentException("safetensors: can store floating tensors as FLOAT32 or BF16, not " + storeAs);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(FORMAT_VERSION_KEY, FORMAT_VERSION);
        // null metadata is none, as the parameter says: callers with nothing to add need not build an empty map
        if (metadata != null) metadata.forEach((k, v) -> {
            // a null would reach the header as JSON null (or no name at all), which no reader accepts as metadata
            if (k == null) throw new IllegalArgumentException("safetensors: metadata has an entry with a null name (value '" + v + "')");
            if (v == null) throw new IllegalArgumentException("safetensors: metadata '" + k + "' is null; metadata values are strings");
            String fixed = meta.get(k);
            if (fixed != null && (k.equals("format") || k.equals(FORMAT_VERSION_KEY))) {
                if (!fixed.equals(v))
                    throw new IllegalArgumentException("safetensors: metadata '" + k + "' is always '" + fixed + "', cannot write '" + v + "'");
            } else {
                meta.put(k, v);
            }
        });

        // header first: every tensor is validated before the file system is touched
        Map<String, Object> header = new LinkedHashMap<>();
        header.put(METADATA_KEY, meta);
        List<FileType> types = new ArrayList<>();
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            String name = e.getKey();
            Tensor t = e.getValue();
            if (name == null || name.isEmpty() || name.equals(METADATA_KEY))
                throw new IllegalArgumentException("safetensors: invalid tensor name '" + name + "'");
            if (t == null) throw new IllegalArgumentException("safetensors: tensor '" + name + "' is null; put a tensor under each name");
            FileType ft = switch (t.dtype()) {
                case FLOAT32, BF16 -> storeAs == DType.BF16 ? FileType.BF16 : FileType.F32;
                case INT64 -> FileType.I64;
                case INT32 -> FileType.I32;
                case BIT -> throw new IllegalArgumentException("safetensors: tensor '" + name + "' is a BIT mask, which safetensors cannot hold");
            };
            types.add(ft);
            long bytes = Math.multiplyExact(t.numel(), (long) ft.bytes);
            List<Object> shape = new ArrayList<>();
            for (int d : t.shape()) shape.add(d);
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("dtype", ft.name());
            info.put("shape", shape);
            info.put("data_offsets", List.of(offset, offset + bytes));
            header.put(name, info);
            offset += bytes;
        }
        StringBuilder sb = new StringBuilder();
        Json.write(sb, header);
        byte[] json;
        try {
            ByteBuffer enc = StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(sb));
            json = new byte[enc.remaining()];
            enc.get(json);
        } catch (CharacterCodingException ex) {
            throw new IllegalArgumentException("safetensors: a tensor name or metadata string is not valid Unicode (lone surrogate)", ex);
        }
        int padded = (json.length + 7) & ~7;
        if (padded > MAX_HEADER_BYTES)
            throw new IllegalArgumentException("safetensors: header of " + padded + " bytes exceeds the " + MAX_HEADER_BYTES + "-byte limit readers enforce");
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) head.put((byte) ' ');
        head.flip();

        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        if (dir == null) throw new IllegalArgumentException("safetensors: " + file + " names no file (a root directory); pass a file's path");
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp-" + Long.toHexString(ThreadLocalRandom.current().nextLong()));
        boolean moved = false;
        try {
            try (FileChannel ch = createTemporary(tmp, file, dir)) {
                writeFully(ch, head);
                ByteBuffer buf = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
                int i = 0;
                for (Map.Entry<String, Tensor> e : tensors.entrySet()) writeData(ch, buf, e.getValue(), types.get(i++));
                if (ch.position() != 8L + padded + offset)
                    throw new IOException("safetensors: wrote " + ch.position() + " bytes to " + tmp + ", expected " + (8L + padded + offset));
                ch.force(true); // data on disk before the rename makes it visible
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException ex) {
                throw new IOException("safetensors: the file system of " + dir + " cannot rename atomically; refusing a non-atomic write of " + target, ex);
            } catch (FileSystemException ex) {
                // as for the temporary file: the exception names "tmp -> target"; a directory in the way is the usual cause
                if (!Files.isDirectory(target)) throw ex;
                FileSystemException named = new FileSystemException(file.toString(), null,
                        "cannot write it: it is a directory; give the path of a file (e.g. " + file.resolve("model.safetensors") + ")");
                named.initCause(ex);
                throw named;
            }
            moved = true;
            syncDirectory(dir);
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original failure is what the caller needs to see
                }
            }
        }
    }

    /**
     * Creates the temporary file {@code tmp} in {@code dir}, the directory of the caller's {@code file}. The file
     * system's exception would name the hidden temporary file, a name the caller never gave: a failure names
     * {@code file} instead and says what is wrong with the directory.
     */
    private static FileChannel createTemporary(Path tmp, Path file, Path dir) throws IOException {
        try {
            // CREATE_NEW with default permissions (Files.createTempFile would make it owner-only, and the rename keeps that)
            return FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        } catch (FileSystemException ex) {
            FileSystemException named;
            if (!Files.exists(dir))
                named = new NoSuchFileException(file.toString(), null, "cannot write it: the directory " + dir
                        + " does not exist; create it first (e.g. Files.createDirectories)");
            else if (!Files.isDirectory(dir))
                named = new FileSystemException(file.toString(), null, "cannot write it: " + dir + " is not a directory");
            else if (ex instanceof AccessDeniedException)
                named = new AccessDeniedException(file.toString(), null, "cannot write it: no permission to create a file in " + dir);
            else
                named = new FileSystemException(file.toString(), null, "cannot write it: creating the temporary file " + tmp
                        + " failed: " + (ex.getReason() != null ? ex.getReason() : ex.getClass().getSimpleName()));
            named.initCause(ex);
            throw named;
        }
    }

    private static void writeData(FileChannel ch, ByteBuffer buf, Tensor t, FileType ft) throws IOException {
        DType as = switch (ft) {
            case F32 -> DType.FLOAT32;
            case BF16 -> DType.BF16;
            case I64 -> DType.INT64;
            case I32 -> DType.INT32;
            default -> throw new IllegalStateException();
        };
        Tensor c = t.to(as).contiguous(); // to() rounds FLOAT32 -> BF16 to nearest even
        long n = c.numel();
        int per = CHUNK_BYTES / ft.bytes;
        Object host = switch (ft) {
            case F32 -> new float[per];
            case BF16 -> new short[per];
            case I64 -> new long[per];
            default -> new int[per];
        };
        for (long done = 0; done < n; ) {
            int k = (int) Math.min(per, n - done);
            c.backend().read(c.storage(), c.offset() + done, host, 0, k);
            buf.clear();
            switch (host) {
                case float[] a -> buf.asFloatBuffer().put(a, 0, k);
                case short[] a -> buf.asShortBuffer().put(a, 0, k);
                case long[] a -> buf.asLongBuffer().put(a, 0, k);
                case int[] a -> buf.asIntBuffer().put(a, 0, k);
                default -> throw new IllegalStateException();
            }
            buf.limit(k * ft.bytes);
            writeFully(ch, buf);
            done += k;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    /** Makes the rename itself durable; not every platform can open a directory, which only costs durability. */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // best effort: the data itself was forced before the rename
        }
    }

    // ================================================================== reading

    /** Reads every tensor of {@code file} onto the CPU backend; see the class comment for what is refused. */
    public static Contents read(Path file) throws IOException {
        if (file == null) throw new IllegalArgumentException("safetensors: the file to read is null; pass a path");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8)
                throw fail(file, "is " + size + " bytes, shorter than the 8-byte header length: truncated or not a safetensors file");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0, file, "header length");
            long n = lenBuf.flip().getLong(); // unsigned: a negative value is beyond 2^63
            if (n < 0 || n > MAX_HEADER_BYTES)
                throw fail(file, "declares a header of " + Long.toUnsignedString(n) + " bytes, over the " + MAX_HEADER_BYTES
                        + "-byte limit (oversized header): corrupt or not a safetensors file");
            if (n > size - 8)
                throw fail(file, "declares a header of " + n + " bytes but only " + (size - 8) + " bytes follow the length: truncated or not a safetensors file");
            ByteBuffer hb = ByteBuffer.allocate((int) n);
            readFully(ch, hb, 8, file, "header");
            hb.flip();
            String text;
            try {
                text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(hb).toString();
            } catch (CharacterCodingException ex) {
                throw fail(file, "has a header that is not valid UTF-8");
            }
            Object root;
            try {
                root = Json.parse(text);
            } catch (Json.ParseException ex) {
                throw fail(file, "has an invalid JSON header: " + ex.getMessage());
            }
            if (!(root instanceof Map<?, ?> rootMap)) throw fail(file, "has a JSON header that is not an object");

            Map<String, String> metadata = new LinkedHashMap<>();
            List<Entry> entries = new ArrayList<>();
            for (Map.Entry<?, ?> e : rootMap.entrySet()) {
                String name = (String) e.getKey();
                if (name.equals(METADATA_KEY)) {
                    if (!(e.getValue() instanceof Map<?, ?> m)) throw fail(file, "has a '" + METADATA_KEY + "' that is not an object");
                    for (Map.Entry<?, ?> me : m.entrySet()) {
                        if (!(me.getValue() instanceof String v))
                            throw fail(file, "has metadata '" + me.getKey() + "' that is not a string");
                        metadata.put((String) me.getKey(), v);
                    }
                } else {
                    entries.add(entry(file, name, e.getValue()));
                }
            }
            String version = metadata.get(FORMAT_VERSION_KEY);
            if (version != null && !version.equals(FORMAT_VERSION))
                throw fail(file, "has " + FORMAT_VERSION_KEY + " '" + version + "'; this build reads version " + FORMAT_VERSION);

            long dataStart = 8 + n, dataLen = size - dataStart;
            List<Entry> byOffset = new ArrayList<>(entries);
            byOffset.sort(Comparator.comparingLong((Entry en) -> en.begin).thenComparingLong(en -> en.end));
            long expected = 0;
            for (Entry en : byOffset) {
                if (en.begin > expected)
                    throw fail(file, "leaves a gap before tensor '" + en.name + "': its data begins at byte " + en.begin + " of the data buffer, the previous tensor ended at " + expected);
                if (en.begin < expected)
                    throw fail(file, "has overlapping tensors: '" + en.name + "' begins at byte " + en.begin + " of the data buffer, before the previous tensor ended at " + expected);
                if (en.end > dataLen)
                    throw fail(file, "is truncated: tensor '" + en.name + "' ends at byte " + en.end + " of the data buffer but the file holds only " + dataLen + " data bytes");
                expected = en.end;
            }
            if (expected != dataLen)
                throw fail(file, "has " + (dataLen - expected) + " bytes after the last tensor's data (the tensors describe " + expected + " of " + dataLen + " data bytes)");

            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Entry en : entries) out.put(en.name, readData(ch, file, dataStart, en));
            return new Contents(metadata, out);
        }
    }

    private record Entry(String name, FileType type, int[] shape, long begin, long end) {}

    private static Entry entry(Path file, String name, Object v) throws SafeTensorsException {
        if (!(v instanceof Map<?, ?> m)) throw fail(file, "describes tensor '" + name + "' with something that is not an object");
        for (Object k : m.keySet())
            if (!k.equals("dtype") && !k.equals("shape") && !k.equals("data_offsets"))
                throw fail(file, "has an unknown field '" + k + "' for tensor '" + name + "'");
        if (!(m.get("dtype") instanceof String code)) throw fail(file, "gives tensor '" + name + "' no string 'dtype'");
        FileType type = FileType.of(code);
        if (type == null)
            throw fail(file, "gives tensor '" + name + "' dtype '" + code + "', which is not supported (F32, BF16, F16, F64, I64, I32)");
        if (!(m.get("shape") instanceof List<?> shapeList)) throw fail(file, "gives tensor '" + name + "' no 'shape' array");
        if (shapeList.size() > Shape.MAX_RANK)
            throw fail(file, "gives tensor '" + name + "' rank " + shapeList.size() + ", over the maximum rank " + Shape.MAX_RANK);
        int[] shape = new int[shapeList.size()];
        long numel = 1;
        for (int i = 0; i < shape.length; i++) {
            long d = nonNegative(file, name, "shape", shapeList.get(i));
            if (d > Integer.MAX_VALUE) throw fail(file, "gives tensor '" + name + "' dimension " + d + ", over " + Integer.MAX_VALUE);
            shape[i] = (int) d;
            numel = multiply(file, name, numel, d);
        }
        if (!(m.get("data_offsets") instanceof List<?> offs) || offs.size() != 2)
            throw fail(file, "gives tensor '" + name + "' no 'data_offsets' pair");
        long begin = nonNegative(file, name, "data_offsets", offs.get(0)), end = nonNegative(file, name, "data_offsets", offs.get(1));
        if (end < begin) throw fail(file, "gives tensor '" + name + "' data_offsets [" + begin + ", " + end + "] that end before they begin");
        long bytes = multiply(file, name, numel, type.bytes);
        if (end - begin != bytes)
            throw fail(file, "gives tensor '" + name + "' " + (end - begin) + " data bytes, but shape " + Shape.str(shape) + " of " + code
                    + " needs " + bytes);
        return new Entry(name, type, shape, begin, end);
    }

    private static long nonNegative(Path file, String name, String field, Object v) throws SafeTensorsException {
        if (v instanceof BigDecimal d && d.signum() >= 0) {
            try {
                return d.longValueExact();
            } catch (ArithmeticException ex) {
                // fractional or beyond a long: refused below
            }
        }
        throw fail(file, "gives tensor '" + name + "' a '" + field + "' entry " + v + " that is not a non-negative integer");
    }

    private static long multiply(Path file, String name, long a, long b) throws SafeTensorsException {
        try {
            return Math.multiplyExact(a, b);
        } catch (ArithmeticException ex) {
            throw fail(file, "gives tensor '" + name + "' a size that overflows 64 bits");
        }
    }

    private static Tensor readData(FileChannel ch, Path file, long dataStart, Entry en) throws IOException {
        Tensor t;
        try {
            t = Tensor.zeros(Backends.cpu(), en.type.readAs, en.shape);
        } catch (IllegalArgumentException ex) { // more elements than one storage may hold
            throw fail(file, "has tensor '" + en.name + "' that cannot be allocated: " + ex.getMessage());
        }
        long n = t.numel();
        int per = CHUNK_BYTES / en.type.bytes;
        ByteBuffer buf = ByteBuffer.allocate(per * en.type.bytes).order(ByteOrder.LITTLE_ENDIAN);
        Object host = switch (en.type.readAs) {
            case FLOAT32 -> new float[per];
            case BF16 -> new short[per];
            case INT64 -> new long[per];
            case INT32 -> new int[per];
            case BIT -> throw new IllegalStateException();
        };
        for (long done = 0; done < n; ) {
            int k = (int) Math.min(per, n - done);
            buf.clear().limit(k * en.type.bytes);
            readFully(ch, buf, dataStart + en.begin + done * en.type.bytes, file, "tensor '" + en.name + "'");
            buf.flip();
            switch (en.type) {
                case F32 -> buf.asFloatBuffer().get((float[]) host, 0, k);
                case BF16 -> buf.asShortBuffer().get((short[]) host, 0, k);
                case I64 -> buf.asLongBuffer().get((long[]) host, 0, k);
                case I32 -> buf.asIntBuffer().get((int[]) host, 0, k);
                case F16 -> {
                    float[] f = (float[]) host;
                    for (int i = 0; i < k; i++) f[i] = Float.float16ToFloat(buf.getShort(2 * i));
                }
                case F64 -> {
                    float[] f = (float[]) host;
                    for (int i = 0; i < k; i++) f[i] = (float) buf.getDouble(8 * i);
                }
            }
            t.backend().write(t.storage(), done, host, 0, k);
            done += k;
        }
        return t;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position, Path file, String what) throws IOException {
        long p = position;
        while (b.hasRemaining()) {
            int r = ch.read(b, p);
            // the size was checked up front, so this is a file that shrank while being read
            if (r < 0) throw fail(file, "ended while reading the " + what + ": truncated");
            p += r;
        }
    }

    private static SafeTensorsException fail(Path file, String what) {
        return new SafeTensorsException("safetensors: file " + file + " " + what);
    }
}
