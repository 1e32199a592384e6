package io.github.dropitjvm.nn.io;

import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.optim.AdamW;
import io.github.dropitjvm.nn.optim.Optimizer;
import io.github.dropitjvm.nn.optim.ParamGroups;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * What Checkpoints and SafeTensors say about arguments a caller got wrong: null metadata means none; any other null
 * is refused up front naming the argument (not a NullPointerException from deep inside); a file in a directory
 * that does not exist is refused naming the caller's path and the missing directory, not the hidden temporary file.
 */
class SaveArgumentsTest {
    @TempDir
    Path dir;

    private static final Map<String, String> WRITER_METADATA = Map.of("format", "pt", SafeTensors.FORMAT_VERSION_KEY, SafeTensors.FORMAT_VERSION);

    // ------------------------------------------------------------------ null metadata: none

    @Test
    void nullMetadataMeansNone() throws IOException {
        Module model = new CheckpointsTest.Net(1, 3);
        Path a = dir.resolve("a.safetensors"), b = dir.resolve("b.safetensors"), c = dir.resolve("c.safetensors");
        Checkpoints.save(a, model, DType.FLOAT32, null);
        Checkpoints.save(b, model.stateDict(), DType.BF16, null);
        SafeTensors.write(c, Map.of("x", Tensor.ones(2)), null, DType.FLOAT32);
        for (Path p : List.of(a, b, c)) assertEquals(WRITER_METADATA, SafeTensors.read(p).metadata(), p.toString());
        Module copy = new CheckpointsTest.Net(2, 3);
        assertEquals(WRITER_METADATA, Checkpoints.load(copy, a));
        CheckpointsTest.assertSameState(CheckpointsTest.snapshot(model), copy);
    }

    // ------------------------------------------------------------------ other nulls: refused, naming what

    @Test
    void nullArgumentsAreRefusedUpFrontNamingTheArgument() throws IOException {
        Module model = new CheckpointsTest.Net(1, 3);
        Optimizer opt = new AdamW(ParamGroups.single(model.namedParameters(), 0), 1e-2);
        Path p = dir.resolve("m.safetensors");
        Map<String, Tensor> state = model.stateDict();

        refused(() -> Checkpoints.save(null, model, DType.FLOAT32, Map.of()), "file");
        refused(() -> Checkpoints.save(p, (Module) null, DType.FLOAT32, Map.of()), "model");
        refused(() -> Checkpoints.save(p, (Map<String, Tensor>) null, DType.FLOAT32, Map.of()), "state");
        refused(() -> Checkpoints.save(p, model, null, Map.of()), "FLOAT32 or BF16");
        refused(() -> Checkpoints.saveOptimizer(null, opt), "file");
        refused(() -> Checkpoints.saveOptimizer(p, null), "optimizer");
        refused(() -> Checkpoints.optimizerPath(null), "model file");
        refused(() -> SafeTensors.write(null, state, Map.of(), DType.FLOAT32), "file");
        refused(() -> SafeTensors.write(p, null, Map.of(), DType.FLOAT32), "tensors");
        Map<String, Tensor> withNull = new LinkedHashMap<>();
        withNull.put("a", Tensor.ones(2));
        withNull.put("b", null);
        refused(() -> SafeTensors.write(p, withNull, Map.of(), DType.FLOAT32), "tensor 'b'");
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("note", null);
        refused(() -> SafeTensors.write(p, state, nullValue, DType.FLOAT32), "metadata 'note'");
        Map<String, String> nullKey = new HashMap<>();
        nullKey.put(null, "x");
        refused(() -> SafeTensors.write(p, state, nullKey, DType.FLOAT32), "metadata", "null name");
        IllegalArgumentException root = assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(Path.of("/"), state, Map.of(), DType.FLOAT32));
        assertTrue(root.getMessage().contains("names no file"), root.getMessage());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.toList(), "nothing was written");
        }

        Checkpoints.save(p, model, DType.FLOAT32, Map.of());
        Checkpoints.saveOptimizer(Checkpoints.optimizerPath(p), opt);
        refused(() -> SafeTensors.read(null), "file");
        refused(() -> Checkpoints.load((Module) null, p), "model");
        refused(() -> Checkpoints.load((Map<String, Tensor>) null, p), "target");
        refused(() -> Checkpoints.load(model, null), "file");
        Map<String, Tensor> target = new LinkedHashMap<>(state);
        target.put("head.bias", null);
        refused(() -> Checkpoints.load(target, p), "tensor 'head.bias'");
        refused(() -> Checkpoints.loadOptimizer(null, Checkpoints.optimizerPath(p)), "optimizer");
        refused(() -> Checkpoints.loadOptimizer(opt, null), "file");
        refused(() -> new SafeTensors.Contents(null, Map.of()), "metadata");
        refused(() -> new SafeTensors.Contents(Map.of(), null), "tensors");
    }

    private static void refused(Executable call, String... mentions) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        String m = e.getMessage();
        assertTrue(m.contains("null"), m);
        for (String s : mentions) assertTrue(m.contains(s), "'" + s + "' in: " + m);
    }

    // ------------------------------------------------------------------ a directory that does not exist

    @Test
    void savingIntoADirectoryThatDoesNotExistNamesThePathAndTheDirectory() throws IOException {
        Module model = new CheckpointsTest.Net(1, 3);
        Optimizer opt = new AdamW(ParamGroups.single(model.namedParameters(), 0), 1e-2);
        Path missing = dir.resolve("no/such"), p = missing.resolve("m.safetensors");
        List<Executable> saves = List.of(
                () -> Checkpoints.save(p, model, DType.FLOAT32, Map.of()),
                () -> Checkpoints.save(p, model.stateDict(), DType.BF16, Map.of()),
                () -> Checkpoints.saveOptimizer(p, opt),
                () -> SafeTensors.write(p, Map.of("x", Tensor.ones(2)), Map.of(), DType.FLOAT32));
        for (Executable save : saves) {
            NoSuchFileException e = assertThrows(NoSuchFileException.class, save);
            String m = e.getMessage();
            assertEquals(p.toString(), e.getFile(), m);
            assertTrue(m.contains(p.toString()) && m.contains("directory " + missing + " does not exist"), m);
            assertTrue(m.contains("create it first"), m);
            assertFalse(m.contains(".tmp-"), m);
        }
        assertFalse(Files.exists(dir.resolve("no")));

        // a relative path is named as given; the directory in full, so the message says where it was looked for
        Path relative = Path.of("no-such-dropit-dir", "m.safetensors");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SafeTensors.write(relative, Map.of("x", Tensor.ones(2)), Map.of(), DType.FLOAT32));
        assertEquals(relative.toString(), e.getFile());
        assertTrue(e.getMessage().contains(relative.toAbsolutePath().getParent().toString()), e.getMessage());
    }

    @Test
    void savingUnderAPlainFileSaysItIsNotADirectory() throws IOException {
        Path plain = Files.writeString(dir.resolve("plain"), "x"), p = plain.resolve("m.safetensors");
        FileSystemException e = assertThrows(FileSystemException.class, () -> SafeTensors.write(p, Map.of("x", Tensor.ones(2)), Map.of(), DType.FLOAT32));
        assertEquals(p.toString(), e.getFile(), e.getMessage());
        assertTrue(e.getMessage().contains(plain + " is not a directory"), e.getMessage());
        assertFalse(e.getMessage().contains(".tmp-"), e.getMessage());
    }

    @Test
    void savingOverADirectorySaysItIsADirectory() throws IOException {
        Path occupied = Files.createDirectories(dir.resolve("run/inner")).getParent();
        FileSystemException e = assertThrows(FileSystemException.class, () -> Checkpoints.save(occupied, Map.of("x", Tensor.ones(2)), DType.FLOAT32, null));
        assertEquals(occupied.toString(), e.getFile(), e.getMessage());
        assertTrue(e.getMessage().contains("it is a directory"), e.getMessage());
        assertFalse(e.getMessage().contains(".tmp-"), e.getMessage());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(occupied), s.toList(), "no temporary file left behind");
        }
    }
}
