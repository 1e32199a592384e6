package io.github.dropitjvm.tensor;

import java.util.Arrays;

/** Static helpers for shapes and strides. A shape is an {@code int[]} of rank 0 to {@link #MAX_RANK}. */
public final class Shape {
    /** Highest rank a tensor may have. */
    public static final int MAX_RANK = 6;

    private Shape() {}

    /** Number of elements (1 for rank 0); refuses negative sizes and too many dimensions, naming the op. */
    public static long numel(String op, int[] shape) {
        if (shape.length > MAX_RANK)
            throw new IllegalArgumentException(op + ": rank " + shape.length + " exceeds the maximum rank " + MAX_RANK + " (shape " + str(shape) + ")");
        for (int d : shape)
            if (d < 0) throw new IllegalArgumentException(op + ": negative size in shape " + str(shape));
        long n = 1;
        for (int d : shape) {
            // An overflowing product is a shape error like any other, not an ArithmeticException from deep inside.
            if (d != 0 && n > Long.MAX_VALUE / d) {
                for (int z : shape) if (z == 0) return 0;
                throw new IllegalArgumentException(op + ": shape " + str(shape) + " has more than " + Long.MAX_VALUE + " elements");
            }
            n *= d;
        }
        return n;
    }

    public static long numel(int[] shape) {
        return numel("shape", shape);
    }

    /** Row-major (C-contiguous) strides in elements. */
    public static long[] contiguousStrides(int[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= Math.max(shape[i], 1);
        }
        return s;
    }

    /** Normalizes a possibly negative dimension index into [0, rank), or throws naming the op and the shape. */
    public static int dim(String op, int dim, int[] shape) {
        int d = dim < 0 ? dim + shape.length : dim;
        if (d < 0 || d >= shape.length)
            throw new IllegalArgumentException(op + ": dimension " + dim + " out of range for shape " + str(shape) + " (rank " + shape.length + ")");
        return d;
    }

    /** Normalizes a possibly negative dimension index into [0, rank), or throws naming the op. */
    public static int dim(String op, int dim, int rank) {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank)
            throw new IllegalArgumentException(op + ": dimension " + dim + " out of range for rank " + rank);
        return d;
    }

    /** NumPy broadcasting of two shapes, or an error naming the op and both shapes. */
    public static int[] broadcast(String op, int[] a, int[] b) {
        int r = Math.max(a.length, b.length);
        int[] out = new int[r];
        for (int i = 0; i < r; i++) {
            int da = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1;
            int db = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new IllegalArgumentException(op + ": shapes " + str(a) + " and " + str(b) + " cannot be broadcast (dimension " + i + ": " + da + " vs " + db + ")");
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    public static String str(int[] shape) {
        return Arrays.toString(shape);
    }

    public static int[] of(int... dims) {
        return dims.clone();
    }
}
