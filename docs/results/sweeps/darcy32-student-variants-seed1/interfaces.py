"""Where the Darcy students lose the spread of a: intermediate values at the interfaces.

Reads the sample arrays in samples/ (float32 N x 2 x 32 x 32, physical units; 32 samples of noise
seed 7 per student, the 64 held-out solver fields of seed 1000) and prints, per student, the share
of pixels whose a lies strictly between the two values the data takes (3.5 < a < 11.5), the mean
per-pixel std of a, SMSE of a (mean over pixels of (std_generated - std_held_out)^2, as
`piddm eval` computes it), and SMSE of a after thresholding a at 7.5 to {3, 12}.

    python3 interfaces.py        (numpy only)
"""
import glob
import os

import numpy as np

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "samples")
held_out = np.load(os.path.join(here, "held-out.npy")).astype(np.float64)[:, 0]
ref_std = held_out.std(axis=0)
print(f"{'student':42s} {'3.5<a<11.5':>10s} {'std a':>6s} {'SMSE a':>8s} {'thresholded':>11s}")
for path in sorted(glob.glob(os.path.join(here, "*.npy"))):
    name = os.path.basename(path)[:-4]
    if name == "held-out":
        continue
    a = np.load(path).astype(np.float64)[:, 0]
    between = np.mean((a > 3.5) & (a < 11.5))
    smse = np.mean((a.std(axis=0) - ref_std) ** 2)
    binary = np.where(a > 7.5, 12.0, 3.0)
    smse_thresholded = np.mean((binary.std(axis=0) - ref_std) ** 2)
    print(f"{name:42s} {between:10.3f} {a.std(axis=0).mean():6.3f} {smse:8.4f} {smse_thresholded:11.4f}")
