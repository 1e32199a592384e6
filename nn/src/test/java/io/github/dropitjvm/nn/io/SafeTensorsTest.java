package io.github.dropitjvm.nn.io;

import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

class SafeTensorsTest {
    @TempDir
    Path dir;

    // ------------------------------------------------------------------ helpers written from the spec, not from SafeTensors

    /** A file built byte by byte as the format specifies: u64 LE header length, the header padded with spaces to 8, data. */
    static byte[] file(String header, byte[] data) {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) b.put((byte) ' ');
        return b.put(data).array();
    }

    static byte[] rawLength(long n, byte[] rest) {
        return ByteBuffer.allocate(8 + rest.length).order(ByteOrder.LITTLE_ENDIAN).putLong(n).put(rest).array();
    }

    static byte[] le(Object... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (Object v : values) {
            switch (v) {
                case Float f -> b.putFloat(f);
                case Double d -> b.putDouble(d);
                case Long l -> b.putLong(l);
                case Integer i -> b.putInt(i);
                case Short s -> b.putShort(s);
                default -> throw new IllegalArgumentException();
            }
        }
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    Path put(String name, byte[] bytes) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    static int[] bits(float[] a) {
        int[] out = new int[a.length];
        for (int i = 0; i < a.length; i++) out[i] = Float.floatToRawIntBits(a[i]);
        return out;
    }

    SafeTensorsException refused(byte[] bytes, String... fragments) throws IOException {
        Path p = put("bad.safetensors", bytes);
        SafeTensorsException e = assertThrows(SafeTensorsException.class, () -> SafeTensors.read(p));
        assertTrue(e.getMessage().contains(p.toString()), "names the file: " + e.getMessage());
        for (String f : fragments) assertTrue(e.getMessage().contains(f), "'" + f + "' in: " + e.getMessage());
        return e;
    }

    // ------------------------------------------------------------------ round trips

    @Test
    void float32RoundTripIsBitExactAndKeepsOrderShapesAndMetadata() throws IOException {
        float[] special = {0f, -0f, 1f, -2.5f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NEGATIVE_INFINITY, Float.intBitsToFloat(0x7fc12345), 1e-40f, 3.14159265f};
        Map<String, Tensor> in = new LinkedHashMap<>();
        in.put("z.last_alphabetically_first", Tensor.fromArray(special, 2, 5));
        in.put("a.transposed", Tensor.fromArray(new float[]{1, 2, 3, 4, 5, 6}, 2, 3).transpose(0, 1)); // non-contiguous
        in.put("scalar", Tensor.scalar(7.5));
        in.put("empty", Tensor.zeros(0, 3));
        in.put("step", Tensor.fromArray(new long[]{Long.MAX_VALUE - 1}));
        in.put("idx", Tensor.fromArray(new int[]{-1, 2, 3}, 3));
        Path p = dir.resolve("m.safetensors");
        SafeTensors.write(p, in, Map.of("epoch", "3"), DType.FLOAT32);

        SafeTensors.Contents c = SafeTensors.read(p);
        assertEquals(List.copyOf(in.keySet()), List.copyOf(c.tensors().keySet()));
        assertEquals("pt", c.metadata().get("format"));
        assertEquals("1", c.metadata().get("dropit_format_version"));
        assertEquals("3", c.metadata().get("epoch"));
        for (String name : List.of("z.last_alphabetically_first", "a.transposed", "scalar", "empty")) {
            Tensor a = in.get(name), b = c.tensors().get(name);
            assertArrayEquals(a.shape(), b.shape(), name);
            assertEquals(DType.FLOAT32, b.dtype());
            assertArrayEquals(bits(a.toFloatArray()), bits(b.toFloatArray()), name + " bit exact");
        }
        assertArrayEquals(new float[]{1, 4, 2, 5, 3, 6}, c.tensors().get("a.transposed").toFloatArray(), "row-major");
        assertEquals(DType.INT64, c.tensors().get("step").dtype());
        assertEquals(Long.MAX_VALUE - 1, c.tensors().get("step").toLongArray()[0]);
        assertArrayEquals(new int[]{-1, 2, 3}, c.tensors().get("idx").toIntArray());
    }

    @Test
    void writerProducesExactlyTheSpecifiedBytes() throws IOException {
        Path p = dir.resolve("x.safetensors");
        SafeTensors.write(p, Map.of("x", Tensor.fromArray(new float[]{1f, -2f}, 2)), Map.of(), DType.FLOAT32);
        byte[] expected = file("{\"__metadata__\":{\"format\":\"pt\",\"dropit_format_version\":\"1\"},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
                new byte[]{0, 0, (byte) 0x80, 0x3f, 0, 0, 0, (byte) 0xc0});
        assertArrayEquals(expected, Files.readAllBytes(p));
        long n = ByteBuffer.wrap(expected, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "data starts 8-byte aligned");
    }

    @Test
    void bf16IsRoundedToNearestEvenAndReadBackAsBf16() throws IOException {
        float[] values = {
                1.0f,
                Float.intBitsToFloat(0x3F808000), // 1 + 2^-8: a tie, the even neighbour is 1.0 (0x3F80)
                Float.intBitsToFloat(0x3F818000), // 1 + 2^-7 + 2^-8: a tie between 0x3F81 (odd) and 0x3F82 (even)
                Float.intBitsToFloat(0x3F808008), // just above the tie: rounds up to 0x3F81
                Float.intBitsToFloat(0x3F807FFF), // just below the tie: rounds down to 0x3F80
                -2.5f,                            // exact: 0xC020
                Float.MAX_VALUE,                  // 0x7F7FFFFF rounds past the largest bf16 to +inf (0x7F80)
        };
        int[] expectedBf16 = {0x3F80, 0x3F80, 0x3F82, 0x3F81, 0x3F80, 0xC020, 0x7F80};
        Path p = dir.resolve("b.safetensors");
        SafeTensors.write(p, Map.of("w", Tensor.fromArray(values, values.length), "nan", Tensor.fromArray(new float[]{Float.NaN}, 1)),
                Map.of(), DType.BF16);

        byte[] raw = Files.readAllBytes(p);
        long n = ByteBuffer.wrap(raw, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertTrue(new String(raw, 8, (int) n, StandardCharsets.UTF_8).contains("\"dtype\":\"BF16\""));

        SafeTensors.Contents c = SafeTensors.read(p);
        Tensor w = c.tensors().get("w");
        assertEquals(DType.BF16, w.dtype(), "BF16 stays BF16 on read");
        float[] widened = w.toFloatArray();
        for (int i = 0; i < values.length; i++)
            assertEquals(expectedBf16[i] << 16, Float.floatToRawIntBits(widened[i]), "value " + i);
        assertTrue(Float.isNaN(c.tensors().get("nan").toFloatArray()[0]));

        // BF16 -> file -> BF16 is lossless
        Path p2 = dir.resolve("b2.safetensors");
        SafeTensors.write(p2, c.tensors(), c.metadata(), DType.BF16);
        assertArrayEquals(raw, Files.readAllBytes(p2));
    }

    @Test
    void readsAHandWrittenPyTorchStyleFile() throws IOException {
        // as safetensors.torch.save_file lays it out: the header lists tensors in any order, data back to back
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"blocks.0.norm1.bias\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[24,30]},"
                + "\"blocks.0.attn.qkv.weight\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[8,24]},"
                + " \"bn.num_batches_tracked\" : {\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8]},"
                + "\"half\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[30,34]},"
                + "\"double\":{\"dtype\":\"F64\",\"shape\":[1,1],\"data_offsets\":[34,42]}}";
        byte[] data = concat(le(12345L), le(1f, -2f, 0.5f, 3f), le((short) 0x3F80, (short) 0xC020, (short) 0x3E80),
                le((short) 0x3C00, (short) 0xC500), le(0.1));
        Path p = put("torch.safetensors", file(header, data));
        SafeTensors.Contents c = SafeTensors.read(p);
        assertEquals(Map.of("format", "pt"), c.metadata());
        assertEquals(List.of("blocks.0.norm1.bias", "blocks.0.attn.qkv.weight", "bn.num_batches_tracked", "half", "double"),
                List.copyOf(c.tensors().keySet()));
        Tensor w = c.tensors().get("blocks.0.attn.qkv.weight");
        assertArrayEquals(new int[]{2, 2}, w.shape());
        assertArrayEquals(new float[]{1f, -2f, 0.5f, 3f}, w.toFloatArray());
        assertArrayEquals(new float[]{1f, -2.5f, 0.25f}, c.tensors().get("blocks.0.norm1.bias").toFloatArray());
        assertEquals(0, c.tensors().get("bn.num_batches_tracked").rank());
        assertEquals(12345L, c.tensors().get("bn.num_batches_tracked").toLongArray()[0]);
        assertEquals(DType.FLOAT32, c.tensors().get("half").dtype(), "F16 widens to FLOAT32");
        assertArrayEquals(new float[]{1f, -5f}, c.tensors().get("half").toFloatArray());
        assertEquals(0.1f, c.tensors().get("double").toFloatArray()[0], "F64 rounds to nearest float");
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] b : parts) n += b.length;
        ByteBuffer out = ByteBuffer.allocate(n);
        for (byte[] b : parts) out.put(b);
        return out.array();
    }

    // ------------------------------------------------------------------ refusals

    private static final String ONE = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";

    @Test
    void refusesShortAndTruncatedFiles() throws IOException {
        refused(new byte[5], "5 bytes", "shorter than the 8-byte header length");
        refused(new byte[0], "0 bytes");
        refused(rawLength(200, new byte[50]), "200", "only 50 bytes follow");
        // a valid file cut inside the data
        Path good = dir.resolve("good.safetensors");
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a", Tensor.ones(4));
        m.put("b", Tensor.ones(4));
        SafeTensors.write(good, m, Map.of(), DType.FLOAT32);
        byte[] all = Files.readAllBytes(good);
        refused(java.util.Arrays.copyOf(all, all.length - 3), "truncated", "tensor 'b'");
        // cut inside the header
        refused(java.util.Arrays.copyOf(all, 20), "only 12 bytes follow");
    }

    @Test
    void refusesOversizedHeaders() throws IOException {
        refused(rawLength(200_000_000L, new byte[64]), "200000000", "oversized header");
        refused(rawLength(-1L, new byte[64]), "18446744073709551615", "oversized header");
        refused(rawLength(100_000_001L, new byte[8]), "oversized header");
    }

    @Test
    void refusesCorruptHeaders() throws IOException {
        refused(file(ONE.substring(0, ONE.length() - 1), le(1f)), "invalid JSON header");
        refused(file("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}", le(1f)), "invalid JSON header");
        refused(file(ONE.replace("}}", "},\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"), le(1f)), "duplicate key");
        refused(rawLength(8, new byte[]{'{', (byte) 0xff, '}', ' ', ' ', ' ', ' ', ' '}), "not valid UTF-8");
        refused(file("[]", new byte[0]), "not an object");
        refused(file("{\"__metadata__\":{\"format\":1}}", new byte[0]), "metadata 'format'");
        refused(file("{\"__metadata__\":{\"dropit_format_version\":\"2\"}}", new byte[0]), "dropit_format_version '2'");
        refused(file(ONE.replace("F32", "Q4"), le(1f)), "tensor 'a'", "dtype 'Q4'");
        refused(file(ONE.replace("\"dtype\"", "\"extra\":0,\"dtype\""), le(1f)), "unknown field 'extra'", "tensor 'a'");
        refused(file(ONE.replace("[1]", "[1.5]"), le(1f)), "tensor 'a'", "not a non-negative integer");
        refused(file(ONE.replace("[1]", "[-1]"), le(1f)), "tensor 'a'");
        refused(file(ONE.replace("[0,4]", "[0]"), le(1f)), "tensor 'a'", "data_offsets");
        refused(file(ONE.replace("\"shape\":[1],", ""), le(1f)), "tensor 'a'", "shape");
    }

    @Test
    void refusesInconsistentOffsets() throws IOException {
        refused(file(ONE.replace("[0,4]", "[0,8]"), le(1f, 2f)), "tensor 'a'", "8 data bytes", "needs 4");
        String two = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        refused(file(two, le(1f, 2f, 3f)), "overlapping", "'b'");
        String gap = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}";
        refused(file(gap, le(1f, 2f, 3f)), "gap", "'b'");
        refused(file(ONE, le(1f, 2f)), "4 bytes after the last tensor");
        refused(file(ONE.replace("[0,4]", "[4,0]"), le(1f)), "tensor 'a'", "end before they begin");
        refused(file(ONE.replace("[0,4]", "[0,99999999999999999999]"), le(1f)), "tensor 'a'");
    }

    // ------------------------------------------------------------------ writing: validation and atomicity

    @Test
    void writeRefusesWhatTheFormatCannotHold() {
        Path p = dir.resolve("w.safetensors");
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p, Map.of("__metadata__", Tensor.ones(1)), Map.of(), DType.FLOAT32));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p, Map.of("", Tensor.ones(1)), Map.of(), DType.FLOAT32));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p, Map.of("m", Tensor.zeros(Tensor.ones(1).backend(), DType.BIT, 8)), Map.of(), DType.FLOAT32));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p, Map.of("a", Tensor.ones(1)), Map.of("format", "np"), DType.FLOAT32));
        assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(p, Map.of("a", Tensor.ones(1)), Map.of(), DType.INT32));
        assertFalse(Files.exists(p));
    }

    @Test
    void failedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path p = dir.resolve("ckpt.safetensors");
        SafeTensors.write(p, Map.of("a", Tensor.ones(3)), Map.of(), DType.FLOAT32);
        byte[] before = Files.readAllBytes(p);

        // the second tensor's data cannot be read: the failure comes after the temporary file got the header and 'a'
        Tensor broken = Tensor.zeros(1000);
        broken.storage().close();
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a", Tensor.full(2.0, 100_000));
        m.put("b", broken);
        assertThrows(IllegalStateException.class, () -> SafeTensors.write(p, m, Map.of(), DType.FLOAT32));

        assertArrayEquals(before, Files.readAllBytes(p));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(p), s.toList(), "no temporary file left behind");
        }
        assertArrayEquals(new float[]{1, 1, 1}, SafeTensors.read(p).tensors().get("a").toFloatArray());
    }

    @Test
    void failedRenameLeavesNoTemporaryFile() throws IOException {
        Path target = Files.createDirectory(dir.resolve("occupied"));
        Files.writeString(target.resolve("inside"), "x"); // a non-empty directory cannot be replaced
        assertThrows(IOException.class, () -> SafeTensors.write(target, Map.of("a", Tensor.ones(2)), Map.of(), DType.FLOAT32));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(target), s.toList());
        }
        assertThrows(IOException.class, () -> SafeTensors.write(dir.resolve("no/such/dir/x.safetensors"), Map.of("a", Tensor.ones(2)), Map.of(), DType.FLOAT32));
    }

    @Test
    void rewritingReplacesTheFile() throws IOException {
        Path p = dir.resolve("r.safetensors");
        SafeTensors.write(p, Map.of("a", Tensor.ones(3)), Map.of(), DType.FLOAT32);
        SafeTensors.write(p, Map.of("b", Tensor.full(4.0, 2)), Map.of(), DType.BF16);
        SafeTensors.Contents c = SafeTensors.read(p);
        assertEquals(List.of("b"), List.copyOf(c.tensors().keySet()));
        assertArrayEquals(new float[]{4, 4}, c.tensors().get("b").toFloatArray());
    }

    @Test
    void largeTensorsCrossChunkBoundaries() throws IOException {
        int n = (1 << 18) + 77; // over one 1 MiB chunk of floats
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = i * 0.5f - 1000f;
        Path p = dir.resolve("big.safetensors");
        SafeTensors.write(p, Map.of("v", Tensor.fromArray(v, n)), Map.of(), DType.FLOAT32);
        assertArrayEquals(v, SafeTensors.read(p).tensors().get("v").toFloatArray());
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            assertEquals(0, (ch.size() - 4L * n) % 8, "header padded to a multiple of 8");
        }
    }
}
