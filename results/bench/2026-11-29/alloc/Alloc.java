import jdk.internal.misc.Unsafe;
public class Alloc {
    static volatile Object sink;
    public static void main(String[] a) {
        Unsafe u = Unsafe.getUnsafe();
        int[] kb = {16, 64, 256, 512, 1000, 1100, 2048, 8192};
        for (int round = 0; round < 3; round++) {
            StringBuilder sb = new StringBuilder("round " + round);
            for (int k : kb) {
                int n = k * 256; // floats
                long bytesTarget = 2L << 30; int reps = (int) Math.max(20, bytesTarget / (4L * n));
                long t0 = System.nanoTime();
                for (int r = 0; r < reps; r++) { float[] f = (float[]) u.allocateUninitializedArray(float.class, n); f[r % n] = 1; sink = f; }
                long t1 = System.nanoTime();
                for (int r = 0; r < reps; r++) { float[] f = new float[n]; f[r % n] = 1; sink = f; }
                long t2 = System.nanoTime();
                sb.append(String.format("  %dKB uninit %.1f zeroed %.1f us", k, (t1 - t0) / 1e3 / reps, (t2 - t1) / 1e3 / reps));
            }
            System.out.println(sb);
        }
    }
}
