package io.github.dropitjvm.autograd.ops;

import io.github.dropitjvm.autograd.GradCheck;
import io.github.dropitjvm.autograd.GradFn;
import io.github.dropitjvm.autograd.Ref64;
import io.github.dropitjvm.autograd.SavedTensor;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.tensor.Conv2dGeometry;
import io.github.dropitjvm.tensor.NnKernels;
import io.github.dropitjvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static io.github.dropitjvm.autograd.OpCheck.*;
import static org.junit.jupiter.api.Assertions.*;

class ConvTest {

    private static void checkConv(String what, Tensor x, Tensor w, Tensor b, int stride, int pad) {
        Variable y = Conv.conv2d(Variable.param(x), Variable.param(w), b == null ? null : Variable.param(b), stride, pad);
        Ref64.T rx = ref(x), rw = ref(w), rb = b == null ? null : ref(b);
        int k = w.size(1) * w.size(2) * w.size(3) + 1;
        assertDotBound(what, Ref64.conv2d(rx, rw, rb, stride, pad),
                Ref64.conv2d(Ref64.abs(rx), Ref64.abs(rw), rb == null ? null : Ref64.abs(rb), stride, pad), k, y.data());
        if (b == null)
            assertGradcheck(what, v -> Conv.conv2d(v[0], v[1], null, stride, pad), r -> Ref64.conv2d(r[0], r[1], null, stride, pad), x, w);
        else
            assertGradcheck(what, v -> Conv.conv2d(v[0], v[1], v[2], stride, pad), r -> Ref64.conv2d(r[0], r[1], r[2], stride, pad), x, w, b);
    }

    @ParameterizedTest(name = "stride {0} padding {1} bias {2}")
    @CsvSource({"1, 0, true", "1, 1, true", "2, 1, true", "2, 0, false", "3, 2, true"})
    void conv2d(int stride, int pad, boolean bias) {
        Tensor x = randn(1, 2, 3, 7, 6), w = randn(2, 4, 3, 3, 3), b = bias ? randn(3, 4) : null;
        checkConv("conv2d s" + stride + " p" + pad, x, w, b, stride, pad);
    }

    @Test
    void conv2dWithANonSquareKernel() {
        checkConv("conv2d 3x2 kernel", randn(4, 2, 2, 5, 7), randn(5, 3, 2, 3, 2), randn(6, 3), 1, 1);
    }

    @Test
    void conv2dOnAChannelsLastView() {
        // (N, H, W, C) storage permuted to (N, C, H, W): non-contiguous input
        Tensor x = randn(7, 2, 5, 6, 3).permute(0, 3, 1, 2);
        assertFalse(x.isContiguous());
        checkConv("conv2d channels-last view", x, randn(8, 4, 3, 3, 3), randn(9, 4), 2, 1);
    }

    @Test
    void conv2dOneByOne() {
        checkConv("conv2d 1x1", randn(10, 3, 5, 3, 4), randn(11, 2, 5, 1, 1), randn(12, 2), 1, 0);
    }

    @Test
    void conv2dRefusesMismatchedChannelsNamingShapes() {
        Variable x = Variable.param(randn(13, 1, 3, 5, 5)), w = Variable.param(randn(14, 2, 4, 3, 3));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Conv.conv2d(x, w, null, 1, 0));
        assertTrue(e.getMessage().contains("conv2d") && e.getMessage().contains("[1, 3, 5, 5]") && e.getMessage().contains("[2, 4, 3, 3]"), e.getMessage());
    }

    // ------------------------------------------------------------------ pooling

    @ParameterizedTest(name = "kernel {0} stride {1} padding {2}")
    @CsvSource({"2, 2, 0", "3, 2, 1", "3, 1, 0", "2, 1, 1"})
    void maxPool2d(int k, int stride, int pad) {
        // distinct values 0.05 apart: no ties in any window, so central differences never cross an argmax switch
        Tensor x = distinct(20 + k + stride, 0.05, 2, 3, 7, 6);
        assertForward("maxPool2d", v -> Conv.maxPool2d(v[0], k, stride, pad), r -> Ref64.maxPool2d(r[0], k, stride, pad), 0, 0, x);
        assertGradcheck("maxPool2d k" + k + " s" + stride + " p" + pad, v -> Conv.maxPool2d(v[0], k, stride, pad), r -> Ref64.maxPool2d(r[0], k, stride, pad), x);
    }

    @Test
    void maxPool2dOnANonContiguousView() {
        Tensor x = transposed(distinct(30, 0.05, 2, 2, 5, 7)); // logical (2, 2, 7, 5)
        assertForward("maxPool2d view", v -> Conv.maxPool2d(v[0], 2, 2, 0), r -> Ref64.maxPool2d(r[0], 2, 2, 0), 0, 0, x);
        assertGradcheck("maxPool2d view", v -> Conv.maxPool2d(v[0], 2, 2, 0), r -> Ref64.maxPool2d(r[0], 2, 2, 0), x);
    }

    @Test
    void maxPool2dWithAllNegativeValuesIgnoresPadding() {
        Tensor x = Tensor.full(-5.0, 1, 1, 3, 3);
        Variable y = Conv.maxPool2d(Variable.param(x), 3, 1, 1);
        for (float v : y.data().toFloatArray()) assertEquals(-5f, v, "padding must never win a max");
    }

    @ParameterizedTest(name = "kernel {0} stride {1} padding {2}")
    @CsvSource({"2, 2, 0", "3, 2, 1", "3, 1, 0", "2, 1, 1"})
    void avgPool2d(int k, int stride, int pad) {
        Tensor x = randn(40 + k, 2, 3, 7, 6);
        assertForward("avgPool2d", v -> Conv.avgPool2d(v[0], k, stride, pad), r -> Ref64.avgPool2d(r[0], k, stride, pad), x);
        assertGradcheck("avgPool2d k" + k + " s" + stride + " p" + pad, v -> Conv.avgPool2d(v[0], k, stride, pad), r -> Ref64.avgPool2d(r[0], k, stride, pad), x);
    }

    @Test
    void avgPool2dOnANonContiguousView() {
        Tensor x = randnT(50, 2, 2, 7, 5);
        assertForward("avgPool2d view", v -> Conv.avgPool2d(v[0], 3, 2, 1), r -> Ref64.avgPool2d(r[0], 3, 2, 1), x);
        assertGradcheck("avgPool2d view", v -> Conv.avgPool2d(v[0], 3, 2, 1), r -> Ref64.avgPool2d(r[0], 3, 2, 1), x);
    }

    // ------------------------------------------------------------------ gradcheck must catch a wrong backward

    /** conv2d (stride 1, padding 1, bias) whose backward is 1.01× too large on x, weight and bias. */
    private static Variable wrongConv(Variable x, Variable w, Variable b) {
        Conv2dGeometry geo = NnKernels.geometry("wrong-conv", x.data(), w.size(2), w.size(3), 1, 1);
        GradFn f = GradFn.of("wrong-conv", x, w, b);
        SavedTensor sx = f.save(x), sw = f.save(w);
        int o = w.size(0), rows = geo.c() * geo.kh() * geo.kw(), spatial = geo.outH() * geo.outW();
        int[] ws = w.shape();
        return f.output(Conv.forward(x.data(), w.data(), b.data(), geo), g -> {
            Tensor g3 = g.reshape(geo.n(), o, spatial);
            Tensor gx = NnKernels.col2im(sw.get().reshape(o, rows).transpose(0, 1).matmul(g3), geo);
            Tensor gw = g3.matmul(NnKernels.im2col(sx.get(), geo).transpose(1, 2)).sum(0, false).reshape(ws);
            Tensor gb = g3.sum(new int[]{0, 2}, false);
            return new Tensor[]{gx.mul(1.01), gw.mul(1.01), gb.mul(1.01)};
        });
    }

    @Test
    void gradcheckRejectsAConvBackwardScaledBy1Point01() {
        Tensor x = randn(60, 2, 3, 6, 5), w = randn(61, 4, 3, 3, 3), b = randn(62, 4);
        assertGradcheck("correct conv, same inputs", v -> Conv.conv2d(v[0], v[1], v[2], 1, 1), r -> Ref64.conv2d(r[0], r[1], r[2], 1, 1), x, w, b);
        assertGradcheckRejects("wrong conv", v -> wrongConv(v[0], v[1], v[2]), r -> Ref64.conv2d(r[0], r[1], r[2], 1, 1), x, w, b);
        // and each wrong input alone is caught (bias and weight, not only x)
        for (int i = 0; i < 3; i++) {
            boolean[] only = new boolean[3];
            only[i] = true;
            assertFalse(gradcheck(v -> wrongConv(v[0], v[1], v[2]), r -> Ref64.conv2d(r[0], r[1], r[2], 1, 1), only,
                    GradCheck.Tolerance.DEFAULT, x, w, b).passed(), "wrong gradient of input " + i + " accepted");
        }
    }
}
