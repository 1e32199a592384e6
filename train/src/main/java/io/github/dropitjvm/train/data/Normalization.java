package io.github.dropitjvm.train.data;

/** Per-channel normalization applied after scaling bytes to [0, 1]: (x − mean[c]) / std[c]. */
public record Normalization(float[] mean, float[] std) {
    /** The identity: mean 0, std 1 per channel. */
    public static Normalization none(int channels) {
        float[] m = new float[channels], s = new float[channels];
        java.util.Arrays.fill(s, 1f);
        return new Normalization(m, s);
    }
}
