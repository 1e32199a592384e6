package io.github.dropitjvm.tensor.ref;

import io.github.dropitjvm.tensor.Tensor;

import java.util.Arrays;

/**
 * The reference's tensor: a row-major {@code double[]} and a shape, nothing else (no strides, no views, no
 * sharing). Every reference op reads and writes these through plain multi-indices, so its correctness can be
 * checked by eye. Converting a main-code {@link Tensor} in goes through {@link Tensor#toFloatArray()} only.
 */
public final class RefTensor {
    public final int[] shape;
    public final double[] data;

    public RefTensor(int[] shape, double[] data) {
        long n = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("ref: negative size in " + Arrays.toString(shape));
            n *= d;
        }
        if (n != data.length) throw new IllegalArgumentException("ref: " + data.length + " values for shape " + Arrays.toString(shape));
        this.shape = shape.clone();
        this.data = data;
    }

    public static RefTensor zeros(int... shape) {
        return new RefTensor(shape, new double[numel(shape)]);
    }

    public static RefTensor of(float[] values, int... shape) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) d[i] = values[i];
        return new RefTensor(shape, d);
    }

    /** The logical values of a main-code tensor (any dtype, any strides), in row-major order. */
    public static RefTensor of(Tensor t) {
        return of(t.toFloatArray(), t.shape());
    }

    public static int numel(int[] shape) {
        int n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public int numel() {
        return data.length;
    }

    public int rank() {
        return shape.length;
    }

    /** Row-major flat position of a multi-index (checked). */
    public int flat(int... idx) {
        if (idx.length != shape.length) throw new IllegalArgumentException("ref: " + idx.length + " indices for rank " + shape.length);
        int f = 0;
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= shape[i]) throw new IndexOutOfBoundsException("ref: index " + Arrays.toString(idx) + " outside " + Arrays.toString(shape));
            f = f * shape[i] + idx[i];
        }
        return f;
    }

    /** The multi-index of a row-major flat position. */
    public int[] unravel(int flat) {
        int[] idx = new int[shape.length];
        for (int i = shape.length - 1; i >= 0; i--) {
            idx[i] = flat % shape[i];
            flat /= shape[i];
        }
        return idx;
    }

    public double get(int... idx) {
        return data[flat(idx)];
    }

    public void set(double v, int... idx) {
        data[flat(idx)] = v;
    }

    public RefTensor copy() {
        return new RefTensor(shape, data.clone());
    }

    public float[] toFloats() {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) data[i];
        return f;
    }

    @Override
    public String toString() {
        return "RefTensor" + Arrays.toString(shape) + (data.length <= 16 ? " " + Arrays.toString(data) : "");
    }
}
