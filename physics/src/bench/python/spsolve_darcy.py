#!/usr/bin/env python3
"""SciPy baseline for `piddm data bench`: time scipy.sparse.linalg.spsolve on the same
5-point Darcy system the Java solver builds (harmonic face averages, a in {3, 12} from a
thresholded field, f = 1, u = 0 on the boundary). Assembly is excluded from the timing.
Prints one JSON object: {"resolution": S, "solve_ms_median": ..., "repeats": R, "scipy": version}.
"""
import argparse
import json
import time

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def darcy_system(s, rng):
    h = 1.0 / (s - 1)
    g = rng.standard_normal((s, s))
    # Smooth the noise a little so the coefficient has blobs like a GRF's; only the values change.
    for _ in range(4):
        g = 0.25 * (np.roll(g, 1, 0) + np.roll(g, -1, 0) + np.roll(g, 1, 1) + np.roll(g, -1, 1))
    a = np.where(g >= 0, 12.0, 3.0)
    east = 2 * a[:, :-1] * a[:, 1:] / (a[:, :-1] + a[:, 1:])
    north = 2 * a[:-1, :] * a[1:, :] / (a[:-1, :] + a[1:, :])
    n = s - 2
    idx = np.arange(n * n).reshape(n, n)
    rows, cols, vals = [], [], []
    for i in range(1, s - 1):
        for j in range(1, s - 1):
            r = idx[i - 1, j - 1]
            ke, kw = east[i, j], east[i, j - 1]
            kn, ks = north[i, j], north[i - 1, j]
            rows.append(r); cols.append(r); vals.append((ke + kw + kn + ks) / h**2)
            for (ii, jj, k) in ((i, j + 1, ke), (i, j - 1, kw), (i + 1, j, kn), (i - 1, j, ks)):
                if 1 <= ii <= s - 2 and 1 <= jj <= s - 2:
                    rows.append(r); cols.append(idx[ii - 1, jj - 1]); vals.append(-k / h**2)
    A = sp.csc_matrix((vals, (rows, cols)), shape=(n * n, n * n))
    return A, np.ones(n * n)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--resolution", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--solves", type=int, default=10)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    A, b = darcy_system(args.resolution, rng)
    spla.spsolve(A, b)  # warm-up
    medians = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        for _ in range(args.solves):
            spla.spsolve(A, b)
        medians.append((time.perf_counter() - start) * 1000 / args.solves)
    print(json.dumps({"resolution": args.resolution, "solve_ms_median": float(np.median(medians)),
                      "repeats": args.repeats, "scipy": scipy.__version__}))


if __name__ == "__main__":
    main()
