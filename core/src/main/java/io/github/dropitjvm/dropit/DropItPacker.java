package io.github.dropitjvm.dropit;

import io.github.dropitjvm.autograd.SavedTensorHooks;
import io.github.dropitjvm.autograd.SavedTensorHooks.LinearWeightGrad;
import io.github.dropitjvm.tensor.DType;
import io.github.dropitjvm.tensor.DropItKernels;
import io.github.dropitjvm.tensor.Storage;
import io.github.dropitjvm.tensor.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * DropIT's cache as a pack/unpack hook on a layer's saved input: pack keeps only the selected elements (values
 * plus positions in the configured format); unpack rebuilds x̂ — kept values at their positions, zeros elsewhere —
 * from which backward computes dW. The forward output and dx, db never see the cache.
 *
 * <p>Random strategy: the positions are not stored at all; unpack regenerates the same Philox mask from
 * (seed, layer, step). With {@code rescale}, kept values are multiplied by 1/(1 − γ) so x̂ is unbiased.
 */
public final class DropItPacker implements SavedTensorHooks {
    private final double gamma;
    private final Strategy strategy;
    private final CacheFormat format;
    private final boolean rescale;
    private final long seed;
    private final int layerId;
    private final int step;
    private final String layer;
    private final LayerStats stats;

    /**
     * @param layer   the layer's name (named in errors, e.g. a NaN input)
     * @param layerId and step: the random strategy's Philox counter words
     * @param stats   receives kept counts, bytes and selection time (may be null)
     */
    public DropItPacker(double gamma, Strategy strategy, CacheFormat format, boolean rescale, long seed,
                        String layer, int layerId, int step, LayerStats stats) {
        DropItKernels.keepCount(0, gamma); // validates γ
        this.gamma = gamma;
        this.strategy = strategy;
        this.format = format;
        this.rescale = rescale;
        this.seed = seed;
        this.layer = layer;
        this.layerId = layerId;
        this.step = step;
        this.stats = stats;
    }

    /**
     * What the cache holds: a mask or an index (absent for the random strategy), the values, the original shape;
     * {@code owner} is the packer that made it (for the sparse weight gradient; may be null). For a Linear input
     * it computes dW = gᵀ·x̂ itself ({@link LinearWeightGrad}) from a bitmask or random-strategy cache, by the
     * sparse or the dense path as {@link SparseWeightGrad#sparse} rules; index caches decline (the layer unpacks).
     */
    public record Cache(Tensor mask, Tensor index, Tensor values, int[] shape, CacheFormat format, DropItPacker owner)
            implements Packed, LinearWeightGrad {
        @Override
        public Tensor linearWeightGrad(Tensor g) {
            return owner == null ? null : owner.weightGrad(this, g);
        }

        @Override
        public List<Storage> storages() {
            List<Storage> s = new ArrayList<>(3);
            if (mask != null) s.add(mask.storage());
            if (index != null) s.add(index.storage());
            s.add(values.storage());
            return s;
        }

        /** Exact bytes held. */
        public long bytes() {
            long b = 0;
            for (Storage st : storages()) b += st.bytes();
            return b;
        }
    }

    @Override
    public Object pack(Tensor x, String op, String module) {
        long t0 = System.nanoTime();
        long n = x.numel();
        boolean bf16 = format.valueType() == DType.BF16;
        DropItKernels.Pack p = switch (strategy) {
            case EXACT_MINK -> DropItKernels.packTopAbs(x, DropItKernels.keepCount(n, gamma), format.valueType(), layer);
            case APPROX_MINK -> DropItKernels.packApproxTopAbs(x, DropItKernels.keepCount(n, gamma),
                    DropItKernels.APPROX_SAMPLE, seed, layerId, step, format.valueType(), layer);
            case RANDOM -> {
                Tensor m = DropItKernels.randomKeepMask(x.backend(), n, seed, layerId, step, gamma);
                yield new DropItKernels.Pack(m, DropItKernels.compact(x, m, format.valueType()), 0);
            }
        };
        Tensor mask = p.mask(), values = p.values();
        long k = p.kept();
        CacheFormat f = format.resolve(n, k, bf16);
        Cache c;
        if (strategy == Strategy.RANDOM) c = new Cache(null, null, values, x.shape(), f, this);
        else if (f.bitmask()) c = new Cache(mask, null, values, x.shape(), f, this);
        else c = new Cache(null, DropItKernels.maskToIndex(mask), values, x.shape(), f, this);
        if (stats != null) stats.record(n, k, c.bytes(), System.nanoTime() - t0);
        return c;
    }

    /** dW = gᵀ·x̂ for a Linear input cache, g as (M, out); null (unpack instead) for an index cache. */
    Tensor weightGrad(Cache c, Tensor g) {
        if (c.mask() == null && strategy != Strategy.RANDOM) return null;
        int in = c.shape()[c.shape().length - 1];
        long n = 1;
        for (int d : c.shape()) n *= d;
        if (g.rank() != 2 || (long) g.size(0) * in != n) return null;
        double scale = strategy == Strategy.RANDOM && rescale && gamma < 1 ? 1.0 / (1.0 - gamma) : 1.0;
        if (!SparseWeightGrad.sparse(c.values().numel(), n)) return g.transpose(0, 1).matmul(unpack(c).reshape(-1, in));
        Tensor mask = c.mask() != null ? c.mask() : DropItKernels.randomKeepMask(c.values().backend(), n, seed, layerId, step, gamma);
        Tensor dw = DropItKernels.sparseWeightGrad(g, c.values(), mask, in);
        return scale == 1.0 ? dw : dw.mul(scale);
    }

    @Override
    public Tensor unpack(Object packed) {
        Cache c = (Cache) packed;
        Tensor xhat;
        if (strategy == Strategy.RANDOM) {
            long n = 1;
            for (int d : c.shape()) n *= d;
            Tensor mask = DropItKernels.randomKeepMask(c.values().backend(), n, seed, layerId, step, gamma);
            xhat = DropItKernels.scatterMasked(c.values(), mask, c.shape());
            if (rescale && gamma < 1) xhat = xhat.mul(1.0 / (1.0 - gamma));
        } else if (c.mask() != null) {
            xhat = DropItKernels.scatterMasked(c.values(), c.mask(), c.shape());
        } else {
            xhat = DropItKernels.scatterIndexed(c.values(), c.index(), c.shape());
        }
        return xhat;
    }
}
