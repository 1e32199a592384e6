package io.github.dropitjvm.tensor;

/** Elementwise float32 functions of one argument. CLAMP uses two parameters (min, max), POW one (exponent). */
public enum UnaryOp {
    NEG, ABS, EXP, LOG, SQRT, RSQRT, TANH, ERF, SIGMOID, RELU,
    /** x·Φ(x) = 0.5·x·(1 + erf(x/√2)). */
    GELU,
    /** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
    GELU_TANH,
    CLAMP, POW,
    /** GELU's derivative Φ(x) + x·φ(x) (exact form), for GELU's backward in one pass. */
    GELU_GRAD
}
