// Harness behind fwd-pack-modes.log: NnKernels.conv2d forward (batch 128, 3x3 pad 1, C = O), one thread, median of
// 9 calls per mode, modes alternating in one JVM; grids paused (SIGSTOP). It compiles only against the temporary
// build of pack-modes.diff (ShiftedColumns.MODE: 0 as main, 1 unmasked copy + scalar zeroing of the holes,
// 2 unmasked copy ignoring the masks (wrong values), 3 no packing at all (wrong values)).
import io.github.dropitjvm.tensor.*;
import io.github.dropitjvm.tensor.cpu.CpuConv;
import java.util.Arrays;
public class Fwd {
    public static void main(String[] a) {
        int n = 128;
        int[][] shapes = {{16, 32}, {32, 16}, {64, 8}};
        int[] modes = Arrays.stream(a[0].split(",")).mapToInt(Integer::parseInt).toArray();
        int rounds = Integer.parseInt(a[1]);
        for (int[] sh : shapes) {
            int c = sh[0], hw = sh[1];
            Tensor x = Tensor.randn(new Generator(1), n, c, hw, hw), w = Tensor.randn(new Generator(2), c, c, 3, 3);
            Conv2dGeometry g = NnKernels.geometry("fwd", x, 3, 3, 1, 1, 1, 1);
            float[] ref = null;
            for (int round = 0; round < rounds; round++) {
                StringBuilder sb = new StringBuilder("c" + c + " round " + round);
                for (int mode : modes) {
                    CpuConv.ShiftedColumns.MODE = mode;
                    double[] t = new double[9];
                    for (int r = 0; r < t.length; r++) {
                        long t0 = System.nanoTime(); Tensor y = NnKernels.conv2d(x, w, g); t[r] = (System.nanoTime() - t0) / 1e6;
                        if (mode < 2 && r == 0) { float[] f = y.toFloatArray(); if (ref == null) ref = f; else if (!Arrays.equals(ref, f)) throw new AssertionError("mode " + mode + " differs"); }
                        y.storage().close();
                    }
                    Arrays.sort(t);
                    sb.append(String.format("  m%d %.2f", mode, t[t.length / 2]));
                }
                if (round >= 2) System.out.println(sb);
            }
        }
    }
}
