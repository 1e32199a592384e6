#!/usr/bin/env python3
"""Recomputes the polynomial coefficients of the float-lane CPU kernels (VectorMath, CpuElementwise.tanhRange,
VectorErf) and prints them as Java float literals with each fit's maximum relative error.

Method: weighted least squares on Chebyshev nodes against mpmath at 40 digits, reweighted (Lawson's iteration) toward
the minimax error. Coefficients are then rounded to float; for S, whose monomial coefficients are large enough for that
rounding to matter, they are rounded one at a time from the constant term up, the rest refitted after each.
Needs numpy and mpmath. Run: python3 scripts/fit-float-kernels.py
"""
import numpy as np
import mpmath as mp

mp.mp.dps = 40


def nodes(lo, hi, n):
    k = np.arange(n)
    return np.cos(np.pi * (k + 0.5) / n) * (hi - lo) / 2 + (hi + lo) / 2


def lawson(A, b, w, iters):
    lw = np.ones(len(b))
    for _ in range(iters):
        W = np.sqrt(lw) * w
        c, *_ = np.linalg.lstsq(A * W[:, None], b * W, rcond=None)
        err = (A @ c - b) * w
        lw = lw * np.abs(err)
        lw /= lw.sum()
    return c, np.max(np.abs(err))


def fit(f, lo, hi, powers, weight, n=2000, iters=60):
    xs = nodes(lo, hi, n)
    ys = np.array([float(f(mp.mpf(float(x)))) for x in xs])
    A = np.array([[x ** p for p in powers] for x in xs])
    w = np.array([weight(x, y) for x, y in zip(xs, ys)])
    return lawson(A, ys, w, iters)


def show(name, coefficients, err):
    print(f"{name}: max relative error {err:.3g}")
    for c in coefficients:
        print(f"    {float(np.float32(c))!r}f")


# exp: e^r = 1 + r + r^2 q(r), |r| <= ln2/2 (+ slack for the float rounding of n); weight makes the error relative to e^r.
L = float(mp.log(2) / 2) + 1e-3
q = lambda r: (mp.exp(r) - 1 - r) / r ** 2 if r != 0 else mp.mpf(0.5)
show("exp Q0..Q4", *fit(q, -L, L, range(5), lambda x, y: x * x / float(mp.exp(x))))

# tanh(x) = x + x^3 T(x^2) for |x| < 0.55, relative to tanh(x).
T = lambda s: (mp.tanh(mp.sqrt(s)) - mp.sqrt(s)) / mp.sqrt(s) ** 3 if s > 0 else mp.mpf(-1) / 3
show("tanh T0..T4", *fit(T, 0, 0.55 ** 2, range(5),
                         lambda s, y: s / float(mp.tanh(mp.sqrt(s)) / mp.sqrt(s)) if s > 0 else 0.0))

# erf(x) = x P(x^2) for |x| < 0.5.
P = lambda s: mp.erf(mp.sqrt(s)) / mp.sqrt(s) if s > 0 else 2 / mp.sqrt(mp.pi)
show("erf P0..P5", *fit(P, 0, 0.25, range(6), lambda s, y: 1 / y))

# S(v) = erfc(a) exp(a^2), t = 2/(2 + a) = v + 1/8, a in [0, 9.2]; coefficients rounded to float one at a time.
S = lambda t: mp.erfc(2 / t - 2) * mp.exp((2 / t - 2) ** 2)
lo, hi = 2 / 11.2 - 1e-3 - 0.125, 1 + 1e-6 - 0.125
vs = nodes(lo, hi, 1200)
ys = np.array([float(S(mp.mpf(float(v)) + mp.mpf(0.125))) for v in vs])
fixed = []
for j in range(11):
    A = np.array([[v ** p for p in range(j, 11)] for v in vs])
    c, _ = lawson(A, ys - sum(fixed[p] * vs ** p for p in range(j)), 1 / ys, 80)
    fixed.append(float(np.float32(c[0])))
show("erfc S0..S10", fixed, np.max(np.abs(sum(fixed[p] * vs ** p for p in range(11)) / ys - 1)))

# S'(v), only for the correction term c S'(v) (c is below half an ulp of t): a quadratic is plenty.
show("erfc D0..D2", *fit(lambda v: mp.diff(S, v + mp.mpf(0.125)), lo, hi, range(3), lambda v, y: 1 / y, n=300))
