package io.github.dropitjvm.nn.models;

import io.github.dropitjvm.autograd.Variable;
import io.github.dropitjvm.autograd.ops.Shapes;
import io.github.dropitjvm.nn.Init;
import io.github.dropitjvm.nn.Module;
import io.github.dropitjvm.nn.Parameter;
import io.github.dropitjvm.nn.layers.Conv2d;
import io.github.dropitjvm.nn.layers.LayerNorm;
import io.github.dropitjvm.nn.layers.Linear;
import io.github.dropitjvm.tensor.Generator;
import io.github.dropitjvm.tensor.Shape;

/**
 * Vision Transformer (timm naming): conv patch embedding, class token, learned position embedding, pre-norm
 * blocks, final norm, linear head on the class token.
 */
public final class VisionTransformer extends Module {
    /** Fully configurable shape of the model. */
    public record Config(int imageSize, int patchSize, int inChannels, int numClasses, int dim, int depth, int heads,
                         double mlpRatio, boolean qkvBias) {
        public Config {
            if (imageSize % patchSize != 0)
                throw new IllegalArgumentException("ViT: image size " + imageSize + " is not a multiple of patch size " + patchSize);
        }

        public int numPatches() {
            return (imageSize / patchSize) * (imageSize / patchSize);
        }
    }

    private final Config config;
    private final Module patchEmbed;
    private final Conv2d patchProj;
    private final Parameter clsToken, posEmbed;
    private final Module[] blocks;
    private final LayerNorm norm;
    private final Linear head;

    public VisionTransformer(Config c, Generator g) {
        this.config = c;
        this.patchEmbed = child("patch_embed", new Container());
        this.patchProj = new Conv2d(c.inChannels(), c.dim(), c.patchSize(), c.patchSize(), 0, true, g);
        ((Container) patchEmbed).add("proj", patchProj);
        this.clsToken = parameter("cls_token", Init.truncNormal(g, 1e-6, 1, 1, c.dim()));
        this.posEmbed = parameter("pos_embed", Init.truncNormal(g, 0.02, 1, c.numPatches() + 1, c.dim()));
        Container bl = child("blocks", new Container());
        this.blocks = new Module[c.depth()];
        for (int i = 0; i < c.depth(); i++) blocks[i] = bl.add(Integer.toString(i), new TransformerBlock(c.dim(), c.heads(), c.mlpRatio(), c.qkvBias(), g));
        this.norm = child("norm", new LayerNorm(c.dim(), 1e-6));
        this.head = child("head", new Linear(c.dim(), c.numClasses(), true, g).timmInit(g));
    }

    public Config config() {
        return config;
    }

    @Override
    protected Variable compute(Variable x) {
        Config c = config;
        if (x.rank() != 4 || x.size(1) != c.inChannels() || x.size(2) != c.imageSize() || x.size(3) != c.imageSize())
            throw new IllegalArgumentException("VisionTransformer: expected input (B, " + c.inChannels() + ", " + c.imageSize() + ", " + c.imageSize() + "), got " + Shape.str(x.shape()));
        int b = x.size(0), n = c.numPatches();
        Variable p = patchProj.forward(x);                                          // (B, D, h, w)
        Variable tokens = Shapes.transpose(Shapes.reshape(p, b, c.dim(), n), 1, 2);  // (B, N, D)
        Variable cls = Shapes.expand(clsToken.variable(), b, 1, c.dim());
        Variable t = Shapes.cat(1, cls, tokens).add(posEmbed.variable());
        for (Module blk : blocks) t = blk.forward(t);
        t = norm.forward(t);
        // The class token is copied out: the head saves its input, and a view would keep all N tokens' storage.
        return head.forward(Shapes.copy(Shapes.select(t, 1, 0)));
    }

    /** A named group of children with no computation of its own (timm's ModuleList / PatchEmbed holders). */
    static final class Container extends Module {
        <M extends Module> M add(String name, M m) {
            return child(name, m);
        }

        @Override
        protected Variable compute(Variable x) {
            throw new UnsupportedOperationException("container " + name() + " has no forward of its own");
        }
    }
}
