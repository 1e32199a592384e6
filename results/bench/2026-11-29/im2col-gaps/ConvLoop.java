import io.github.dropitjvm.tensor.*;
import java.util.Arrays;
public class ConvLoop {
    public static void main(String[] args) {
        int n = 32, c = Integer.parseInt(args[0]), hw = Integer.parseInt(args[1]);
        Tensor x = Tensor.randn(new Generator(1), n, c, hw, hw), w = Tensor.randn(new Generator(2), c, c, 3, 3);
        Conv2dGeometry g = new Conv2dGeometry(n, c, hw, hw, 3, 3, 1, 1, 1, 1);
        for (int rep = 0; rep < 5; rep++) {
            long[] t = new long[40];
            for (int i = 0; i < t.length; i++) {
                long t0 = System.nanoTime();
                Tensor y = NnKernels.conv2d(x, w, g);
                t[i] = System.nanoTime() - t0;
                y.storage().close();
            }
            Arrays.sort(t);
            System.out.printf("c %d hw %d: median %.2f ms, best %.2f%n", c, hw, t[20] / 1e6, t[0] / 1e6);
        }
    }
}
