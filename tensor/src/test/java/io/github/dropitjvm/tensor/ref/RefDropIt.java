package io.github.dropitjvm.tensor.ref;

import java.util.Arrays;

/**
 * Reference DropIT selection and packing, by the definitions rather than by the kernels' algorithms: the kept
 * set of exact min-k is found by a stable sort on |x| (descending), so among equal |x| the lower flat index
 * comes first; compaction and scattering are plain loops over a boolean keep array.
 */
public final class RefDropIt {
    private RefDropIt() {}

    /** keep[i] for the k largest |x[i]|, ties to the lower flat index (x in row-major logical order). */
    public static boolean[] keepTopAbs(double[] x, int k) {
        Integer[] order = new Integer[x.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        // Arrays.sort on objects is a stable merge sort: equal |x| keep their ascending index order.
        // Math.abs(-0.0) is +0.0, so the two zeros compare equal, as DESIGN.md wants.
        Arrays.sort(order, (i, j) -> Double.compare(Math.abs(x[j]), Math.abs(x[i])));
        boolean[] keep = new boolean[x.length];
        for (int i = 0; i < k; i++) keep[order[i]] = true;
        return keep;
    }

    public static int count(boolean[] keep) {
        int c = 0;
        for (boolean b : keep) if (b) c++;
        return c;
    }

    /** The kept values in flat order. */
    public static double[] compact(double[] x, boolean[] keep) {
        double[] v = new double[count(keep)];
        for (int i = 0, j = 0; i < x.length; i++) if (keep[i]) v[j++] = x[i];
        return v;
    }

    /** Ascending flat positions of the kept elements. */
    public static int[] positions(boolean[] keep) {
        int[] p = new int[count(keep)];
        for (int i = 0, j = 0; i < keep.length; i++) if (keep[i]) p[j++] = i;
        return p;
    }

    /** Dense array with values at the kept positions (in flat order) and zeros elsewhere. */
    public static double[] scatter(double[] values, boolean[] keep) {
        double[] out = new double[keep.length];
        for (int i = 0, j = 0; i < keep.length; i++) if (keep[i]) out[i] = values[j++];
        return out;
    }

    /** The keep array stored in a bitmask: bit i is bit (i mod 32) of 32-bit word i/32. */
    public static boolean[] fromWords(int[] words, int n) {
        boolean[] keep = new boolean[n];
        for (int i = 0; i < n; i++) keep[i] = ((words[i / 32] >>> (i % 32)) & 1) == 1;
        return keep;
    }
}
