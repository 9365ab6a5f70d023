"""Generate Darcy fields with the sampler and plot them (a and u of each, with its PDE error).

    PYTHONPATH=clients/python python3 examples/python/generate_fields.py --out fields.png

Against ``./piddm demo``'s mesh (sampler on localhost:9103); a few seconds.
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import piddm  # noqa: E402

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--sampler", default="localhost:9103")
parser.add_argument("--count", type=int, default=4)
parser.add_argument("--seed", type=int, default=7)
parser.add_argument("--out", default="generated_fields.png")
args = parser.parse_args()

fields = piddm.Sampler(args.sampler).generate(args.count, seed=args.seed)
model = fields.model
print(
    f"{model.model_name} v{model.version} ({model.pde}, {model.grid.height}x{model.grid.width}):"
    f" {len(fields)} fields in {fields.server_millis:.1f} ms on the server"
)

channels = model.channels
figure, axes = plt.subplots(
    len(channels), len(fields), figsize=(2.4 * len(fields), 2.3 * len(channels)), squeeze=False
)
for i in range(len(fields)):
    for c, name in enumerate(channels):
        image = axes[c, i].imshow(fields.data[i, c], cmap="viridis" if name == "a" else "magma")
        axes[c, i].set_xticks([]), axes[c, i].set_yticks([])
        figure.colorbar(image, ax=axes[c, i], fraction=0.046)
        if c == 0:
            axes[c, i].set_title(
                f"seed {args.seed}, #{i}\nPDE error {fields.pde_error[i]:.2e}", fontsize=8
            )
    print(f"  field {i}: PDE error (mean R²) {fields.pde_error[i]:.3e}")
for c, name in enumerate(channels):
    axes[c, 0].set_ylabel(name)
figure.suptitle(
    f"{model.model_name} v{model.version}: one network evaluation per field", fontsize=10
)
figure.tight_layout()
figure.savefig(args.out, dpi=80)
print(f"wrote {args.out}")
