package io.github.dropitjvm.nn.io;

import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.optim.Optimizer;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.Shape;
import io.github.dropitjvm.tensor.Tensor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Model and optimizer checkpoints as safetensors files.
 *
 * <p><b>Model files</b> hold exactly {@link Module#stateDict()} under its timm/PyTorch names (parameters and
 * buffers), so a file written here loads into the matching PyTorch model with
 * {@code model.load_state_dict(safetensors.torch.load_file(path))} and the other way round.
 *
 * <p><b>Optimizer state</b> goes to a second file ({@link #optimizerPath}: {@code run.safetensors} →
 * {@code run.optim.safetensors}), not into the model file under a prefix: the model file then stays a plain
 * state dict that PyTorch's strict {@code load_state_dict} accepts, and inference never reads the (2× model size)
 * moments. It holds {@link Optimizer#state()} in F32 (bf16 moments would make a resumed run differ from an
 * uninterrupted one), with {@code __metadata__.dropit_optimizer} naming the algorithm and
 * {@code __metadata__.dropit_step} the global step, which a trainer can compare with its model file's metadata to
 * make sure the two files belong together (each file is written atomically, the pair is not).
 *
 * <p>Null arguments: null metadata means none (as in {@link SafeTensors#write}); any other null is refused with an
 * {@link IllegalArgumentException} naming it, before any file is touched. Files are written into an existing
 * directory only: a missing one is a {@link java.nio.file.NoSuchFileException} naming the given path.
 */
public final class Checkpoints {
    public static final String OPTIMIZER_KEY = "dropit_optimizer";
    public static final String STEP_KEY = "dropit_step";

    private Checkpoints() {}

    /** Writes the model's state dict, with {@code metadata} (null: none); see {@link SafeTensors#write}. */
    public static void save(Path file, Module model, DType storeAs, Map<String, String> metadata) throws IOException {
        SafeTensors.write(file, given(model, "save", "model", "pass the module whose state dict to write").stateDict(), metadata, storeAs);
    }

    /** Writes a state dict, with {@code metadata} (null: none); see {@link SafeTensors#write}. */
    public static void save(Path file, Map<String, Tensor> state, DType storeAs, Map<String, String> metadata) throws IOException {
        SafeTensors.write(file, given(state, "save", "state", "pass the tensors to write by name"), metadata, storeAs);
    }

    /** Loads a model file into {@code model.stateDict()}; see {@link #load(Map, Path)}. */
    public static Map<String, String> load(Module model, Path file) throws IOException {
        return load(given(model, "load", "model", "pass the module to load into").stateDict(), file);
    }

    /**
     * Copies every tensor of {@code file} into the tensor of the same name in {@code target} (in place, with
     * {@link Tensor#copyFrom}: onto the target's backend and dtype, so a BF16 file loads into a FLOAT32 model,
     * rounding nothing further). The file must hold exactly the target's names with the target's shapes;
     * integer data may load into a floating tensor but not the reverse. All of it is checked before anything is
     * copied, so on refusal the target is untouched. The message lists every missing name, unexpected name and
     * shape mismatch (with both shapes), not only the first.
     *
     * @return the file's metadata
     * @throws SafeTensorsException     the file is not a readable safetensors file
     * @throws IllegalArgumentException the file does not match {@code target}
     */
    public static Map<String, String> load(Map<String, Tensor> target, Path file) throws IOException {
        given(target, "load", "target", "pass the tensors to load into by name (a model's stateDict())");
        given(file, "load", "file", "pass the checkpoint's path");
        target.forEach((name, t) -> given(t, "load", "target tensor '" + name + "'", "put the tensor to fill under each name"));
        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, Tensor> src = c.tensors();
        List<String> problems = new ArrayList<>();
        for (String name : target.keySet())
            if (!src.containsKey(name)) problems.add("missing tensor '" + name + "' (model shape " + Shape.str(target.get(name).shape()) + ")");
        for (Map.Entry<String, Tensor> e : src.entrySet()) {
            String name = e.getKey();
            Tensor dst = target.get(name), s = e.getValue();
            if (dst == null) {
                problems.add("unexpected tensor '" + name + "' (file shape " + Shape.str(s.shape()) + ")");
            } else if (!Arrays.equals(dst.shape(), s.shape())) {
                problems.add("tensor '" + name + "' has shape " + Shape.str(s.shape()) + " in the file but " + Shape.str(dst.shape()) + " in the model");
            } else if (s.dtype().isFloating() && !dst.dtype().isFloating()) {
                problems.add("tensor '" + name + "' is " + s.dtype() + " in the file but " + dst.dtype() + " in the model");
            } else if (dst.dtype() == DType.BIT) {
                problems.add("tensor '" + name + "' is a BIT mask in the model, which a checkpoint cannot fill");
            }
        }
        if (!problems.isEmpty())
            throw new IllegalArgumentException("checkpoint " + file + " does not match the model (nothing was loaded): " + String.join("; ", problems));
        for (Map.Entry<String, Tensor> e : src.entrySet()) {
            Tensor dst = target.get(e.getKey());
            dst.copyFrom(e.getValue().to(dst.backend()));
        }
        return c.metadata();
    }

    /** The optimizer file that goes with a model file: {@code x.safetensors} → {@code x.optim.safetensors}. */
    public static Path optimizerPath(Path modelFile) {
        if (modelFile == null || modelFile.getFileName() == null)
            throw new IllegalArgumentException("checkpoint optimizerPath: the model file " + modelFile + " names no file; pass the model file's path");
        String name = modelFile.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return modelFile.resolveSibling(stem + ".optim.safetensors");
    }

    /** Writes {@link Optimizer#state()} in F32 with the algorithm and step in the metadata (see the class comment). */
    public static void saveOptimizer(Path file, Optimizer optimizer) throws IOException {
        given(file, "saveOptimizer", "file", "pass the path to write (optimizerPath(modelFile))");
        given(optimizer, "saveOptimizer", "optimizer", "pass the optimizer whose state to write");
        SafeTensors.write(file, optimizer.state(),
                Map.of(OPTIMIZER_KEY, optimizer.kind(), STEP_KEY, Long.toString(optimizer.steps())), DType.FLOAT32);
    }

    /**
     * Restores an optimizer from a file written by {@link #saveOptimizer}. Refuses a file written by another
     * algorithm or one that does not match the optimizer's parameters ({@link Optimizer#loadState}); on refusal the
     * optimizer is unchanged.
     *
     * @return the file's metadata
     */
    public static Map<String, String> loadOptimizer(Optimizer optimizer, Path file) throws IOException {
        given(optimizer, "loadOptimizer", "optimizer", "pass the optimizer to restore");
        given(file, "loadOptimizer", "file", "pass the optimizer checkpoint's path (optimizerPath(modelFile))");
        SafeTensors.Contents c = SafeTensors.read(file);
        String kind = c.metadata().get(OPTIMIZER_KEY);
        if (kind == null)
            throw new IllegalArgumentException("optimizer checkpoint " + file + " has no '" + OPTIMIZER_KEY + "' metadata: not an optimizer state file");
        if (!kind.equals(optimizer.kind()))
            throw new IllegalArgumentException("optimizer checkpoint " + file + " holds " + kind + " state, cannot load it into " + optimizer.kind());
        try {
            optimizer.loadState(c.tensors());
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("optimizer checkpoint " + file + ": " + ex.getMessage(), ex);
        }
        return c.metadata();
    }

    /**
     * {@code value}, or a refusal naming the method and the argument: a null passed on would fail later as a bare
     * NullPointerException (or, for a file, only after the model's state was gathered), naming neither.
     */
    private static <T> T given(T value, String method, String what, String todo) {
        if (value == null) throw new IllegalArgumentException("checkpoint " + method + ": " + what + " is null; " + todo);
        return value;
    }
}
