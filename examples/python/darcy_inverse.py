"""Darcy inverse problem: recover the coefficient a from the observed solution u, with a spread.

    PYTHONPATH=clients/python python3 examples/python/darcy_inverse.py --out inverse.png
    ... --truth piddm-demo/reference/fields.npy   # a solver field the demo wrote (unseen seed)

Without --truth, the truth is a field the sampler generates from --seed. An ensemble of
--members reconstructions (seeds seed, seed+1, ...) gives the estimate (mean) and its spread.
Against ``./piddm demo``'s mesh (sampler on localhost:9103); well under a minute.
"""

import argparse

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import piddm  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--sampler", default="localhost:9103")
parser.add_argument("--truth", help="fields.npy, [N, 2, H, W] or [2, H, W] (a, u)")
parser.add_argument("--index", type=int, default=0)
parser.add_argument("--seed", type=int, default=99)
parser.add_argument("--steps", type=int, default=200)
parser.add_argument("--members", type=int, default=4)
parser.add_argument("--out", default="darcy_inverse.png")
args = parser.parse_args()

sampler = piddm.Sampler(args.sampler)
if args.truth:
    truth = np.load(args.truth)
    truth = truth[args.index] if truth.ndim == 4 else truth
else:
    truth = sampler.generate(1, seed=args.seed).data[0]
mask = np.zeros(truth.shape, dtype=bool)
mask[1] = True  # u observed everywhere; a unknown

run = sampler.reconstruct(
    truth, mask=mask, task="inverse", steps=args.steps, seed=args.seed, ensemble_size=args.members
)
for event in run:  # progress of every member at every step; print some of it
    if event.member == 0 and event.step % 50 == 0:
        print(
            f"  step {event.step:4d}  loss {event.loss:.3e}  u misfit {event.observation_error:.3f}"
        )
result = run.result()

a_true, a_est, a_spread = truth[0], result.channel("a"), result.spread[0]
l2 = np.linalg.norm(a_est - a_true) / np.linalg.norm(a_true)
# a is 3 or 12: the error rate is the fraction of nodes on the wrong side of 7.5
error_rate = np.mean((a_est > 7.5) != (a_true > 7.5))
print(
    f"{result.model.model_name} v{result.model.version}: relative L2 of a {l2:.3f}, error rate"
    f" {error_rate:.3f}, {args.members} members, {result.server_millis / 1000:.1f} s on the server"
)

panels = [
    ("observed u", truth[1], "magma", None),
    ("true a", a_true, "viridis", (3, 12)),
    ("estimated a (mean)", a_est, "viridis", (3, 12)),
    ("spread of a (std)", a_spread, "cividis", None),
]
figure, axes = plt.subplots(1, 4, figsize=(11, 2.9))
for ax, (title, values, cmap, limits) in zip(axes, panels):
    image = ax.imshow(values, cmap=cmap, vmin=limits and limits[0], vmax=limits and limits[1])
    ax.set_title(title, fontsize=9), ax.set_xticks([]), ax.set_yticks([])
    figure.colorbar(image, ax=ax, fraction=0.046)
figure.suptitle(
    f"Darcy inverse problem, {args.steps} steps: relative L2 {l2:.3f}, error rate {error_rate:.3f}",
    fontsize=10,
)
figure.tight_layout()
figure.savefig(args.out, dpi=80)
print(f"wrote {args.out}")
