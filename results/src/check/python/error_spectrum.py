#!/usr/bin/env python3
"""Where in frequency the generated u misses the solution for its own a: SciPy alone.

For each generated (a, u) the PDE is re-solved as resolve_samples.py does; the error u - u_solver on
the interior nodes is expanded in the sine modes that vanish on the boundary (DST-I), and the share
of its energy in the lowest modes (kx + ky < 4: 10 of the (S-2)^2 modes) is reported (median over
samples). A residual scaled by 1/h^2 weighs mode (kx, ky) by about (kx^2 + ky^2): an error that
lives in the lowest modes is one a residual loss hardly sees.

    python3 results/src/check/python/error_spectrum.py --pde poisson docs/results/samples/poisson32-standard-*.npy
"""

import argparse
import json

import numpy as np
from scipy.fft import dstn

from resolve_samples import solve


def spectrum(pde, arrays):
    shares, errors = [], []
    for sample in arrays:
        a, u = sample[0].astype(np.float64), sample[-1].astype(np.float64)
        reference = solve(pde, a)
        energy = dstn((u - reference)[1:-1, 1:-1], type=1) ** 2
        order = np.add.outer(np.arange(energy.shape[0]), np.arange(energy.shape[1]))
        shares.append(energy[order < 4].sum() / energy.sum())
        errors.append(np.linalg.norm(u - reference) / np.linalg.norm(reference))
    return float(np.median(errors)), float(np.median(shares))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pde", required=True, choices=["darcy", "poisson", "helmholtz"])
    parser.add_argument("files", nargs="+")
    args = parser.parse_args()
    out = {}
    for name in args.files:
        error, share = spectrum(args.pde, np.load(name))
        out[name] = {"median_relative_l2": error, "median_low_mode_share": share}
        print(f"{name}: u vs SciPy solve {error:.4f}; error energy in the 10 lowest sine modes {share:.2f}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
