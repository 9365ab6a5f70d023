#!/usr/bin/env python3
"""Re-judge committed sample arrays with SciPy alone: no code of this project.

For each generated (a, u) of an elliptic PDE, assemble the 5-point finite-volume system of the PDE
for the generated a on the same grid (nodes on the boundary, h = 1/(S-1), u = 0 on the boundary),
solve it with scipy.sparse.linalg.spsolve, and report the relative L2 of the generated u to that
solution (median over samples), plus how far the generated u is from zero on the boundary.

    python3 results/src/check/python/resolve_samples.py --pde darcy docs/results/samples/darcy32-standard-*.npy

PDEs: darcy  -div(a grad u) = 1 (harmonic face averages of a), poisson  lap u = a,
helmholtz  lap u + u = a.
"""
import argparse
import json
import sys

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla


def face(left, right):
    return 2.0 * left * right / (left + right)


def solve(pde, a):
    s = a.shape[0]
    h = 1.0 / (s - 1)
    n = s - 2
    index = lambda i, j: (i - 1) * n + (j - 1)
    rows, cols, vals = [], [], []
    rhs = np.zeros(n * n)
    for i in range(1, s - 1):
        for j in range(1, s - 1):
            r = index(i, j)
            neighbours = [(i, j + 1), (i, j - 1), (i + 1, j), (i - 1, j)]
            if pde == "darcy":
                k = [face(a[i, j], a[p, q]) for p, q in neighbours]
                rhs[r] = 1.0
                sign = 1.0  # -div(a grad u): diagonal +sum k / h^2
            else:
                k = [1.0] * 4
                rhs[r] = -a[i, j]  # -lap u (- u) = -a
                sign = 1.0
            diagonal = sum(k) / h**2
            if pde == "helmholtz":
                diagonal -= 1.0
            rows.append(r)
            cols.append(r)
            vals.append(sign * diagonal)
            for (p, q), kf in zip(neighbours, k):
                if 0 < p < s - 1 and 0 < q < s - 1:
                    rows.append(r)
                    cols.append(index(p, q))
                    vals.append(-sign * kf / h**2)
    matrix = sp.csc_matrix((vals, (rows, cols)), shape=(n * n, n * n))
    interior = spla.spsolve(matrix, rhs)
    u = np.zeros((s, s))
    u[1:-1, 1:-1] = interior.reshape(n, n)
    return u


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pde", required=True, choices=["darcy", "poisson", "helmholtz"])
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    report = {}
    for path in args.files:
        fields = np.load(path).astype(np.float64)
        if fields.ndim != 4 or fields.shape[1] != 2:
            sys.exit(f"{path}: expected N x 2 x S x S, got {fields.shape}")
        errors, boundary = [], []
        for a, u in fields:
            reference = solve(args.pde, a)
            errors.append(np.linalg.norm(u - reference) / np.linalg.norm(reference))
            ring = np.concatenate([u[0], u[-1], u[1:-1, 0], u[1:-1, -1]])
            boundary.append(np.abs(ring).max())
        report[path] = {
            "samples": len(errors),
            "median_relative_l2": float(np.median(errors)),
            "max_abs_u_on_boundary": float(np.max(boundary)),
        }
        print(f"{path}: {len(errors)} samples, u vs SciPy solve: median rel. L2 "
              f"{np.median(errors):.4g}; max |u| on the boundary {np.max(boundary):.3g}")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
