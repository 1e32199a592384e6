package io.github.dropitjvm.tensor;

/** Elementwise functions of two broadcast arguments. Comparisons produce {@link DType#BIT} tensors. */
public enum BinaryOp {
    ADD, SUB, MUL, DIV, POW, MAXIMUM, MINIMUM,
    EQ, NE, LT, LE, GT, GE;

    public boolean isComparison() {
        return ordinal() >= EQ.ordinal();
    }
}
