#!/usr/bin/env python3
"""Fits the rational tanh of vlstm's vector kernels (VectorKernels.activateInPlace) and prints its coefficients.

    tanh(x) ~ x * P(x^2) / Q(x^2)   on |x| <= 9 (beyond, tanh is +-1 in float),  Q(0) = 1

P and Q have degree 4 in x^2. The fit is iteratively reweighted linear least squares on the absolute error
(Sanathanan-Koerner: divide by the previous Q; then Lawson weights, which push the least-squares fit towards minimax).
It then evaluates the float coefficients the way the kernel does (float32 Horner with fused multiply-adds, one divide)
and prints the worst absolute error, which rounding dominates: about 4 units in the last place just below 1.

Run: /usr/bin/python3 tools/fit_tanh.py   (needs numpy)
"""
import numpy as np

RANGE, P_DEGREE, Q_DEGREE = 9.0, 4, 4


def fit(iterations=60):
    x = np.unique(np.concatenate([np.linspace(RANGE / 40000, RANGE, 40000), np.geomspace(1e-4, RANGE, 4000)]))
    f = np.tanh(x) / x                      # tanh(x)/x as a function of t = x^2
    u = x * x / RANGE**2                    # t scaled to [0, 1]: a well-conditioned design matrix
    weight, q_prev = np.ones_like(x), np.ones_like(x)
    for it in range(iterations):
        # unknowns p0..pn, q1..qm; residual x * (P - f Q) / Q_prev is the absolute error of tanh, linearised
        a = np.hstack([np.stack([u**i for i in range(P_DEGREE + 1)], 1),
                       -np.stack([f * u**j for j in range(1, Q_DEGREE + 1)], 1)])
        scale = x / q_prev * weight
        sol = np.linalg.lstsq(a * scale[:, None], f * scale, rcond=None)[0]
        p, q = sol[:P_DEGREE + 1], np.concatenate([[1.0], sol[P_DEGREE + 1:]])
        q_prev = np.polyval(q[::-1], u)
        err = x * (np.polyval(p[::-1], u) / q_prev - f)
        if it >= 10:
            weight = weight * np.sqrt(np.abs(err))
            weight /= weight.max()
    # back from u = t / RANGE^2 to t
    return (p / RANGE**(2 * np.arange(P_DEGREE + 1)), q / RANGE**(2 * np.arange(Q_DEGREE + 1)),
            np.abs(err).max())


def float_tanh(p, q, x):
    """The kernel's arithmetic in float32: t = x*x, Horner by FMA (rounded once per step), x*P, then /Q."""
    x = x.astype(np.float32)
    t = (x * x).astype(np.float32)

    def horner(c):
        acc = np.float32(c[-1])
        for ci in c[-2::-1]:
            acc = (acc.astype(np.float64) * t + np.float64(np.float32(ci))).astype(np.float32)
        return acc

    y = ((x * horner(p)).astype(np.float32) / horner(q)).astype(np.float32)
    return np.where(np.abs(x) > RANGE, np.sign(x), y)


def main():
    p, q, exact_err = fit()
    xs = np.linspace(-20, 20, 4000001)
    err = np.abs(float_tanh(p, q, xs).astype(np.float64) - np.tanh(xs.astype(np.float32).astype(np.float64)))
    print("max abs error: %.3g in exact arithmetic, %.3g in float32 (at x = %.4f)"
          % (exact_err, err.max(), xs[err.argmax()]))
    for name, coefs in (("P", p), ("Q", q)):
        for i, c in enumerate(coefs):
            print("TANH_%s%d = %sf" % (name, i, repr(float(np.float32(c)))))


if __name__ == "__main__":
    main()
