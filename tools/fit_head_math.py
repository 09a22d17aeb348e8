#!/usr/bin/env python3
"""Fits the polynomials of the head's vector math (VectorHeadMath) and prints them as Java constants.

    e^r - 1  ~ r + r^2 * C(r)                    |r| <= ln2/2 (+ slack)    C of degree 5    (exp, expm1)
    log1p(u) ~ s * (2 + z * L(z)), s = u/(2+u), z = s^2, u in [0, 1]      L of degree 3    (softplus)
    erfc(a)  ~ t * E(t) * e^(-a^2), t = 1/(1 + a*3/8)   a in [0, 9.5]     E of degree 8    (GELU)

Each is a minimax fit of the relative error (a discrete Remez exchange on a dense grid, Chebyshev basis), against
mpmath at 30 digits. The script prints each fit's error in exact arithmetic and when its own polynomial is evaluated
the way the kernel does it (float32 Horner with fused multiply-adds; other float steps of the kernels are not
modelled here: VectorHeadMathTest measures the whole operations against float64). The erfc form: for a -> infinity
erfc(a) e^(a^2) ~ 1/(a sqrt(pi)), which t * E(t) follows with E(0) = 3/8/sqrt(pi); of the scale factors tried
(0.25 .. 0.6) 3/8 gave the smallest error at degree 8 (1.1e-8), and it is exact in float.

Run: /usr/bin/python3 tools/fit_head_math.py   (needs numpy and mpmath: Debian's python3-numpy, python3-mpmath)
"""
import mpmath as mp
import numpy as np

mp.mp.dps = 30
ERFC_SCALE = 0.375


def remez(x, f, weight, degree, iterations=60):
    """Minimax polynomial of the given degree for f on the sorted grid x, minimising max |(P - f) * weight|.
    Returns (monomial coefficients in x, lowest first; max weighted error)."""
    lo, hi = x[0], x[-1]
    u = (2 * x - lo - hi) / (hi - lo)
    basis = np.polynomial.chebyshev.chebvander(u, degree)
    n = degree + 2
    ref = np.unique(np.clip(np.searchsorted(u, -np.cos(np.pi * np.arange(n) / (n - 1))), 0, len(x) - 1))
    best = None
    for _ in range(iterations):
        if len(ref) != n:
            break
        a = np.hstack([basis[ref], ((-1.0) ** np.arange(n) / weight[ref])[:, None]])
        c = np.linalg.solve(a, f[ref])[:-1]
        err = (basis @ c - f) * weight
        if best is None or np.abs(err).max() < best[1]:
            best = (c, np.abs(err).max())
        # the next reference: the largest error of each run of one sign, trimmed to n alternating points
        sign = np.where(err >= 0, 1, -1)
        cuts = np.flatnonzero(np.diff(sign)) + 1
        idx = np.array([s + np.argmax(np.abs(err[s:e])) for s, e in zip(np.r_[0, cuts], np.r_[cuts, len(x)])])
        while len(idx) > n:
            k = np.argmin(np.abs(err[idx]))
            if k in (0, len(idx) - 1):
                idx = np.delete(idx, k)
            else:
                idx = np.delete(idx, [k, k + 1] if abs(err[idx[k + 1]]) < abs(err[idx[k - 1]]) else [k - 1, k])
        if len(idx) < n or np.array_equal(idx, ref):
            break
        ref = idx
    c, e = best
    mono = np.polynomial.Polynomial(np.polynomial.chebyshev.cheb2poly(c))
    return mono(np.polynomial.Polynomial([-(lo + hi) / (hi - lo), 2 / (hi - lo)])).coef, e


def horner32(coefs, x):
    """float32 Horner with one rounding per step (a fused multiply-add), highest coefficient first."""
    x = x.astype(np.float32)
    acc = np.full_like(x, np.float32(coefs[-1]))
    for c in coefs[-2::-1]:
        acc = (acc.astype(np.float64) * x + np.float64(np.float32(c))).astype(np.float32)
    return acc


def exact(fn, xs):
    return np.array([float(fn(mp.mpf(float(v)))) for v in xs])


def fit_expm1():
    r = np.linspace(-0.35, 0.35, 20001)
    r = r[r != 0]
    em1 = exact(mp.expm1, r)
    c, e = remez(r, (em1 - r) / r ** 2, r ** 2 / np.abs(em1), 5)
    r32 = r.astype(np.float32)
    got = r32.astype(np.float64) + (r32 * r32).astype(np.float64) * horner32(c, r32)
    return "EXP_C", c, e, np.abs(got / exact(mp.expm1, r32) - 1).max()


def fit_log1p():
    s = np.linspace(1e-4, 1 / 3, 20001)
    z = s * s
    log1p = exact(lambda v: 2 * mp.atanh(v), s)
    c, e = remez(z, (log1p - 2 * s) / (s * z), s * z / log1p, 3)
    s32 = s.astype(np.float32)
    z32 = (s32 * s32).astype(np.float32)
    got = s32.astype(np.float64) * (2 + z32.astype(np.float64) * horner32(c, z32))
    return "LOG1P_C", c, e, np.abs(got / exact(lambda v: 2 * mp.atanh(v), s32) - 1).max()


def fit_erfc():
    a = np.unique(np.concatenate([np.linspace(0, 9.5, 40001), np.geomspace(1e-4, 9.5, 4000)]))
    g = exact(lambda v: mp.erfc(v) * mp.exp(v * v), a)
    t = 1 / (1 + ERFC_SCALE * a)
    order = np.argsort(t)
    c, e = remez(t[order], (g / t)[order], (t / g)[order], 8)
    t32 = t.astype(np.float32)
    got = t32.astype(np.float64) * horner32(c, t32)
    return "ERFC_C", c, e, np.abs(got / g - 1).max()


def main():
    for name, coefs, err, err32 in (fit_expm1(), fit_log1p(), fit_erfc()):
        print("// %s: max relative error %.3g in exact arithmetic, %.3g with float32 Horner" % (name, err, err32))
        print(",\n".join("%s%d = %sf" % (name, i, repr(float(np.float32(c)))) for i, c in enumerate(coefs)) + ";")


if __name__ == "__main__":
    main()
