package io.github.dropitjvm.bench.peer;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.jni.JniUtils;

import java.util.HashMap;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * {@code torch.optim.AdamW} (single-tensor path, the CPU default: no foreach, no amsgrad) written with libtorch
 * in-place ops, line for line as PyTorch 2.7's {@code _single_tensor_adamw}:
 * <pre>
 *   p.mul_(1 − lr·wd);  m.lerp_(g, 1 − β1)  (here m·β1 + g·(1 − β1));  v.mul_(β2).addcmul_(g, g, 1 − β2)
 *   denom = v.sqrt() / sqrt(1 − β2^t) + eps;   p.addcdiv_(m, denom, −lr / (1 − β1^t))
 * </pre>
 * DJL's own fused {@code adamUpdate} is a different kernel (DJL's C++), so it is not used: this is the update a
 * PyTorch user's training step runs. Runs with libtorch's grad mode off (as under {@code torch.no_grad()}).
 */
public final class TorchAdamW {
    private final TorchNet net;
    private final double lr, beta1, beta2, eps;
    private final ToDoubleFunction<String> weightDecay;
    private final Map<String, NDArray[]> state = new HashMap<>();
    private final Map<String, Long> steps = new HashMap<>();

    public TorchAdamW(TorchNet net, double lr, double beta1, double beta2, double eps, ToDoubleFunction<String> weightDecay) {
        this.net = net;
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** One step over every parameter that has a gradient. */
    public void step() {
        boolean was = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (Map.Entry<String, NDArray> e : net.parameters().entrySet()) update(e.getKey(), e.getValue());
        } finally {
            JniUtils.setGradMode(was);
        }
    }

    /** The optimizer state arrays of a parameter {exp_avg, exp_avg_sq}, or null before its first step. */
    public NDArray[] state(String name) {
        return state.get(name);
    }

    /** Temporarily attaches the state to a step's manager (see {@link TorchNet#attachAll}). */
    public void attachAll(ai.djl.ndarray.NDManager step) {
        for (NDArray[] s : state.values()) for (NDArray a : s) a.tempAttach(step);
    }

    private void update(String name, NDArray p) {
        if (!p.hasGradient()) return;
        NDArray[] s = state.get(name);
        if (s == null) {
            s = new NDArray[]{p.zerosLike(), p.zerosLike()};
            s[0].attach(net.manager());
            s[1].attach(net.manager());
            state.put(name, s);
        }
        long t = steps.merge(name, 1L, Long::sum);
        double wd = weightDecay.applyAsDouble(name);
        NDArray m = s[0], v = s[1];
        try (NDArray g = p.getGradient()) {
            if (wd != 0) p.muli(1 - lr * wd);
            try (NDArray a = g.mul(1 - beta1)) {
                m.muli(beta1).addi(a);
            }
            try (NDArray gg = g.mul(g)) {
                v.muli(beta2).addi(gg.muli(1 - beta2));
            }
            double bc1 = 1 - Math.pow(beta1, t), bc2 = 1 - Math.pow(beta2, t);
            try (NDArray denom = v.sqrt(); NDArray upd = m.div(denom.divi(Math.sqrt(bc2)).addi(eps))) {
                p.subi(upd.muli(lr / bc1));
            }
        }
    }
}
