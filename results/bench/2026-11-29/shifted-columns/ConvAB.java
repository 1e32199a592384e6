// The harness behind panel-order.log. It toggled CpuConv.ShiftedColumns.PANEL_OUTER, a public static flag that
// existed only for this measurement (class and flag made public for it) and was removed with the row-outer order,
// so it compiles only against that temporary build.
import io.github.dropitjvm.tensor.*;
import io.github.dropitjvm.tensor.cpu.CpuConv;
import java.util.Arrays;
public class ConvAB {
    public static void main(String[] a) {
        int n = 32, c = Integer.parseInt(a[0]), hw = Integer.parseInt(a[1]);
        Tensor x = Tensor.randn(new Generator(1), n, c, hw, hw), w = Tensor.randn(new Generator(2), c, c, 3, 3);
        Conv2dGeometry g = NnKernels.geometry("ab", x, 3, 3, 1, 1, 1, 1);
        float[] ref = null;
        for (int round = 0; round < 12; round++) {
            for (boolean outer : new boolean[]{false, true}) {
                CpuConv.ShiftedColumns.PANEL_OUTER = outer;
                double best = 1e9;
                for (int r = 0; r < 15; r++) { long t0 = System.nanoTime(); Tensor y = NnKernels.conv2d(x, w, g); best = Math.min(best, (System.nanoTime() - t0) / 1e6);
                    if (round == 0 && r == 0) { float[] f = y.toFloatArray(); if (ref == null) ref = f; else if (!Arrays.equals(ref, f)) throw new AssertionError("differ"); }
                    y.storage().close(); }
                if (round >= 6) System.out.printf("round %d %s %.3f ms%n", round, outer ? "panel-outer" : "row-outer  ", best);
            }
        }
    }
}
