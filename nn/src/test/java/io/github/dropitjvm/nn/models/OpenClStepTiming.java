package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.tensor.*;
import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Losses;
import io.github.dropitjvm.nn.Module;

import io.github.dropitjvm.nn.optim.*;
import java.util.*;
/** Step timings on cpu vs opencl for BENCHMARKS.md (a main, not a test: no timing assertions in unit tests). */
public class OpenClStepTiming {
  static void tiny(Tensor w, Tensor x, int i) {
    List<Tensor> tmp = new ArrayList<>();
    Tensor h = x.matmul(w); tmp.add(h); Tensor r = h.relu(); tmp.add(r); Tensor s = r.softmax(1); tmp.add(s);
    tmp.add(s.sum()); Tensor sh = s.mul(h); tmp.add(sh); Tensor g = x.transpose(0,1).matmul(sh); tmp.add(g);
    Tensor m = DropItKernels.selectTopAbs(r, DropItKernels.keepCount(r.numel(), 0.8), "fc"); tmp.add(m);
    Tensor v = DropItKernels.compact(r, m, DType.BF16); tmp.add(v); tmp.add(DropItKernels.scatterMasked(v, m, r.shape()));
    Tensor lr = Tensor.full(w.backend(), DType.FLOAT32, -1e-3); tmp.add(lr); Tensor u = g.mul(lr); tmp.add(u);
    w.addInPlace(u); w.backend().synchronize();
    for (Tensor t : tmp) t.storage().close();
  }
  static double median(double[] a) { double[] b = a.clone(); Arrays.sort(b); return b[b.length/2]; }
  public static void main(String[] a) {
    for (String be : new String[]{"cpu", "opencl", "cpu", "opencl"}) {
      Backend b = Backends.byName(be);
      Tensor w = Tensor.randn(new Generator(1), 64, 64).to(b), x = Tensor.rand(new Generator(2), 32, 64).to(b);
      double[] t = new double[200];
      for (int i = 0; i < 20; i++) tiny(w, x, i);
      for (int i = 0; i < 200; i++) { long t0 = System.nanoTime(); tiny(w, x, i); t[i] = (System.nanoTime()-t0)/1e6; }
      System.out.printf("tiny step (32x64 @ 64x64, relu, softmax, sum, matmul, DropIT select+bf16 compact+scatter, update) %s: median %.3f ms%n", be, median(t));
    }
    for (String be : new String[]{"cpu", "opencl"}) {
      Backend b = Backends.byName(be);
      Backends.setDefault(b);
      Module model = Presets.create("vit-fmnist", 1, 10, 3);
      Tensor x = Tensor.randn(new Generator(11), 8, 1, 28, 28), y = Tensor.fromArray(new int[]{0,1,2,3,4,5,6,7}, 8);
      Optimizer opt = new AdamW(ParamGroups.timmWeightDecay(model.namedParameters(), 0.05), 2e-3);
      double[] t = new double[5];
      for (int s = 0; s < 7; s++) {
        long t0 = System.nanoTime();
        opt.zeroGrad(); Variable loss = Losses.crossEntropy(model.forward(Variable.constant(x)), y, 0.1); loss.backward(); opt.step(); float l = loss.item();
        if (s >= 2) t[s-2] = (System.nanoTime()-t0)/1e6;
      }
      System.out.printf("vit-fmnist training step, batch 8, %s: median %.0f ms%n", be, median(t));
      Backends.setDefault(null);
    }
  }
}
