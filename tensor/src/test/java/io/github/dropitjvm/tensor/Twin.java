package io.github.dropitjvm.tensor;

import io.github.dropitjvm.tensor.ref.Ref;
import io.github.dropitjvm.tensor.ref.RefTensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A main-code tensor and its reference twin, built side by side: every view taken here is applied to the
 * tensor (a strided view) and to the reference (a plain copying loop), so op tests can feed non-contiguous
 * inputs whose expected values never went through main-code copying.
 */
record Twin(String name, Tensor t, RefTensor r) {

    /** How test inputs are drawn. */
    interface Values {
        float next(SplittableRandom rng);

        /** Uniform in [−1, 1). */
        Values UNIFORM = rng -> (float) (rng.nextDouble() * 2 - 1);
        /** Random sign, magnitude log-uniform over 2^−20 .. 2^20. */
        Values WIDE = rng -> (float) ((rng.nextBoolean() ? 1 : -1) * Math.scalb(1 + rng.nextDouble(), rng.nextInt(-20, 21)));
        /** Mostly uniform, with NaN, ±∞, ±0, subnormals and extremes mixed in. */
        Values SPECIAL = rng -> switch (rng.nextInt(16)) {
            case 0 -> Float.NaN;
            case 1 -> Float.POSITIVE_INFINITY;
            case 2 -> Float.NEGATIVE_INFINITY;
            case 3 -> 0f;
            case 4 -> -0f;
            case 5 -> Float.MIN_VALUE * rng.nextInt(1, 1000) * (rng.nextBoolean() ? 1 : -1);
            case 6 -> Float.MAX_VALUE * (float) rng.nextDouble() * (rng.nextBoolean() ? 1 : -1);
            case 7 -> (float) (rng.nextDouble() * 200 - 100);
            default -> (float) (rng.nextDouble() * 8 - 4);
        };

        /** Values scaled by a constant. */
        static Values scaled(Values v, double scale) {
            return rng -> (float) (v.next(rng) * scale);
        }

        /** Integers in [lo, hi) as floats: many exact ties. */
        static Values ints(int lo, int hi) {
            return rng -> rng.nextInt(lo, hi);
        }
    }

    static float[] draw(SplittableRandom rng, Values v, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = v.next(rng);
        return f;
    }

    static Twin of(String name, float[] values, int... shape) {
        return new Twin(name, Tensor.fromArray(values, shape), RefTensor.of(values, shape));
    }

    static Twin random(SplittableRandom rng, Values v, int... shape) {
        return of("contiguous" + Shape.str(shape), draw(rng, v, RefTensor.numel(shape)), shape);
    }

    static Twin random(SplittableRandom rng, int... shape) {
        return random(rng, Values.UNIFORM, shape);
    }

    // ------------------------------------------------------------------ views on both sides

    Twin named(String n) {
        return new Twin(n, t, r);
    }

    Twin transpose(int a, int b) {
        return new Twin(name + ".transpose(" + a + "," + b + ")", t.transpose(a, b), Ref.transpose(r, a, b));
    }

    Twin permute(int... dims) {
        return new Twin(name + ".permute" + Arrays.toString(dims), t.permute(dims), Ref.permute(r, dims));
    }

    Twin slice(int dim, int start, int end, int step) {
        return new Twin(name + ".slice(" + dim + "," + start + "," + end + "," + step + ")", t.slice(dim, start, end, step), Ref.slice(r, dim, start, end, step));
    }

    Twin narrow(int dim, int start, int length) {
        return new Twin(name + ".narrow(" + dim + "," + start + "," + length + ")", t.narrow(dim, start, length), Ref.narrow(r, dim, start, length));
    }

    Twin select(int dim, int index) {
        return new Twin(name + ".select(" + dim + "," + index + ")", t.select(dim, index), Ref.select(r, dim, index));
    }

    Twin expand(int... shape) {
        return new Twin(name + ".expand" + Arrays.toString(shape), t.expand(shape), Ref.expand(r, shape));
    }

    Twin reshape(int... shape) {
        Tensor v = t.reshape(shape);
        return new Twin(name + ".reshape" + Arrays.toString(shape), v, Ref.reshape(r, v.shape()));
    }

    // ------------------------------------------------------------------ layouts of one logical shape

    /**
     * Tensors of the given logical shape in every memory layout that applies: contiguous; transposed (last two
     * dimensions swapped in memory); fully permuted; sliced with step 2 along the last dimension; narrowed with
     * an offset in every dimension; expanded (stride 0) along the first dimension; and with a leading offset.
     */
    static List<Twin> layouts(SplittableRandom rng, Values v, int... shape) {
        List<Twin> out = new ArrayList<>();
        int r = shape.length;
        out.add(random(rng, v, shape));
        if (r >= 2) {
            int[] s = shape.clone();
            s[r - 1] = shape[r - 2];
            s[r - 2] = shape[r - 1];
            out.add(random(rng, v, s).transpose(r - 2, r - 1).named("transposed" + Shape.str(shape)));
        }
        if (r >= 3) {
            int[] s = new int[r], p = new int[r];
            for (int i = 0; i < r; i++) {
                s[i] = shape[r - 1 - i];
                p[i] = r - 1 - i;
            }
            out.add(random(rng, v, s).permute(p).named("reversed" + Shape.str(shape)));
        }
        if (r >= 1) {
            int[] s = shape.clone();
            s[r - 1] = 2 * shape[r - 1] + 1;
            out.add(random(rng, v, s).slice(r - 1, 1, s[r - 1], 2).named("step2" + Shape.str(shape)));
            int[] big = shape.clone();
            for (int i = 0; i < r; i++) big[i] += 2;
            Twin n = random(rng, v, big);
            for (int i = 0; i < r; i++) n = n.narrow(i, 1, shape[i]);
            out.add(n.named("narrowed" + Shape.str(shape)));
            if (shape[0] > 1) {
                int[] one = shape.clone();
                one[0] = 1;
                out.add(random(rng, v, one).expand(shape).named("expanded" + Shape.str(shape)));
            }
        } else {
            out.add(random(rng, v, 5).select(0, 3).named("scalar-at-offset"));
        }
        return out;
    }

    static List<Twin> layouts(SplittableRandom rng, int... shape) {
        return layouts(rng, Values.UNIFORM, shape);
    }

    @Override
    public String toString() {
        return name;
    }
}
