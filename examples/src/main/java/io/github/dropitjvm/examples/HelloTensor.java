package io.github.dropitjvm.examples;

import io.github.dropitjvm.tensor.JvmRequirements;
import io.github.dropitjvm.tensor.Tensor;

/**
 * The smallest use of the library: build two matrices, multiply them, and turn each row of the product into
 * probabilities. Run it with the JVM flags every DropIT-JVM program needs:
 * {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp ... io.github.dropitjvm.examples.HelloTensor}.
 */
public final class HelloTensor {
    private HelloTensor() {}

    public static void main(String[] args) {
        try {
            JvmRequirements.requireVectorModule();
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());
            System.exit(2);
        }
        Tensor a = Tensor.fromArray(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor b = Tensor.arange(0, 6, 1).reshape(3, 2);
        Tensor c = a.matmul(b);
        Tensor p = c.div(10).softmax(1);

        System.out.println("a           = " + a);
        System.out.println("b           = " + b);
        System.out.println("a @ b       = " + c);
        System.out.println("softmax(/10)= " + p);
        System.out.println("row sums    = " + p.sum(1, false));
    }
}
