#!/usr/bin/env python3
"""Fits compiler/src/codegen/llvm/erf_f32_table.inc: f32 erf as 16 polynomial pieces.

Piece k serves round(3.874 min(|x|, 3.95)) == k, with t = min(|x|, 3.95) - center[k]:
  erf(|x|) = sum_d table[d][k] t^d        (+ t itself in piece 0)
The center of piece k != 0 is the f32 within 2^-10 of k/3.874 whose erf is nearest an f32 (for
piece 15, near 1, of where erfc = 2^-24), so the constant term erf(center) is nearly exact. Piece 0 is centered at 0 and fits erf(a)/a - 1 (so
small arguments keep their relative accuracy; the code adds t). Piece 15 reaches 3.95, where its
value rounds to 1 as erf does from 3.9192 on. Coefficients: Lawson-reweighted least squares
against mpmath's erf (relative error), rounded to f32 from the highest degree down with the
lower ones refitted each time. Prints the worst error of each piece, evaluated in f32 with
FMA, and writes the table body to stdout's last lines (or to the file given as argument).

Needs numpy and mpmath (pip). Takes about a minute.
"""
import sys

import mpmath
import numpy as np

mpmath.mp.dps = 30
F32 = np.float32
PIECES, DEGREE, TOP = 16, 5, 3.95
SCALE = 3.874  # piece k serves round(SCALE min(|x|, TOP)) == k, in [0, 15]


def erf(x):
    return np.array([float(mpmath.erf(v)) for v in x])


def ulp(v):
    return 2.0 ** (np.frexp(abs(v))[1] - 24)


def center(k):
    if k == 0:
        return 0.0
    best, best_err = None, None
    start = k / SCALE
    if k == PIECES - 1:  # near 1 no erf(c) is close to an f32 but where erfc(c) = 2^-24 itself
        start = float(mpmath.findroot(lambda v: mpmath.erfc(v) - mpmath.mpf(2) ** -24, 3.83))
    up = down = F32(start)
    candidates = [up]
    for _ in range(4000 if k < PIECES - 1 else 200):
        up, down = np.nextafter(up, F32(10)), np.nextafter(down, F32(-10))
        candidates += [up, down]
    for c in candidates:
        e = float(mpmath.erf(float(c)))
        err = abs(e - float(F32(e))) / ulp(e)
        if best_err is None or err < best_err:
            best, best_err = float(c), err
    return best


def fit(k, c):
    lo = max(0.0, (k - 0.5) / SCALE)
    hi = (k + 0.5) / SCALE if k < PIECES - 1 else TOP
    n = 500
    x = (lo + hi) / 2 + (hi - lo) / 2 * np.cos(np.pi * (np.arange(n) + 0.5) / n)
    x = x[x > 1e-8]
    y = erf(x)
    t = x - c
    weight = y.copy()
    if k == 0:  # Q(a) = erf(a)/a - 1, evaluated as a + a Q(a)
        y, t, weight = y / x - 1, x, y / x
        powers = list(range(DEGREE))
        fixed = {}
    else:
        powers = list(range(DEGREE + 1))
        fixed = {0: float(F32(float(mpmath.erf(c))))}
    for d in reversed(powers):
        if d in fixed:
            continue
        free = [p for p in powers if p not in fixed]
        rest = y - sum(fixed[p] * t**p for p in fixed)
        a = np.stack([t**p for p in free], 1)
        w = np.ones_like(x)
        for _ in range(60):
            scale = w / np.abs(weight)
            coef, *_ = np.linalg.lstsq(a * scale[:, None], rest * scale, rcond=None)
            err = np.abs(a @ coef - rest) / np.abs(weight)
            w = w * err
            w /= w.sum()
        fixed[free[-1]] = float(F32(coef[-1]))
    coeffs = [fixed.get(d, 0.0) for d in range(DEGREE + 1)]
    if k == 0:
        coeffs = [0.0] + coeffs[:DEGREE]
    return lo, hi, coeffs


def eval_f32(c, coeffs, a, k):
    t = F32(F32(a) - F32(c))
    acc = F32(coeffs[DEGREE])
    for d in range(DEGREE - 1, -1, -1):  # FMA: the product of two f32 is exact in double
        acc = F32(np.float64(acc) * np.float64(t) + np.float64(F32(coeffs[d])))
    if k == 0:
        acc = F32(np.float64(acc) + np.float64(t))
    return acc


def wrap(values, indent):
    """values joined by commas, in lines of at most 100 columns indented by `indent`."""
    lines, line = [], " " * indent
    for i, v in enumerate(values):
        token = v + ("," if i < len(values) - 1 else "")
        if len(line) + len(token) + 1 > 100:
            lines.append(line.rstrip())
            line = " " * indent
        line += token + " "
    lines.append(line.rstrip())
    return "\n".join(lines)


def main():
    centers, table = [], []
    for k in range(PIECES):
        c = center(k)
        lo, hi, coeffs = fit(k, c)
        centers.append(c)
        table.append(coeffs)
        xs = np.linspace(lo, hi, 20001)[1:-1] if k else np.geomspace(1e-30, hi, 20000)
        ref = erf(xs)
        got = np.array([eval_f32(c, coeffs, v, k) for v in xs], dtype=np.float64)
        err = np.abs(got - ref) / np.array([ulp(r) for r in ref])
        print(f"piece {k:2d} center {c:.9g}: max {err.max():.3f} ulp at {xs[err.argmax()]:.6g}",
              file=sys.stderr)
    body = "constexpr float kErfTableCenter[16] = {\n" + wrap([f"{v:.9g}" for v in centers], 4)
    body += "\n};\nconstexpr float kErfTable[%d][16] = {\n" % (DEGREE + 1)
    for d in range(DEGREE + 1):
        body += "    {\n" + wrap([f"{table[k][d]:.9g}" for k in range(PIECES)], 8) + "\n    },\n"
    body += "};\n"
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w") as out:
            out.write(body)
    else:
        print(body)


if __name__ == "__main__":
    main()
