"""Prints the README's table from the JSON reports of `piddm eval-reconstruct` (validation sets)."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SWEEPS = os.path.dirname(HERE)

# (pde, task row, Adam report before: path under sweeps/, L-BFGS report in this folder)
ROWS = [
    ("darcy", "forward+bc", "reconstruction-solution-weight-seed1/darcy-fwd-sol100", "darcy-fwd-lbfgs60"),
    ("darcy", "inverse", "reconstruction-pde-weight-seed1/darcy-lambda-pde1e-3", "darcy-inv-lbfgs60"),
    ("darcy", "sparse", "reconstruction-pde-weight-seed1/darcy-lambda-pde10", "darcy-sparse-lbfgs60"),
    ("poisson", "forward+bc", "reconstruction-solution-weight-seed1/speed-poisson-s50-lr0.05-sol100", "poisson-fwd-lbfgs80"),
    ("poisson", "inverse", "reconstruction-solution-weight-seed1/poisson-inv-sol1000", "poisson-obs-lbfgs80"),
    ("poisson", "sparse", "reconstruction-solution-weight-seed1/poisson-inv-sol1000", "poisson-obs-lbfgs80"),
    ("helmholtz", "forward+bc", "reconstruction-solution-weight-seed1/speed-helmholtz-s50-lr0.05-sol100", "helmholtz-fwd-lbfgs80"),
    ("helmholtz", "inverse", "reconstruction-solution-weight-seed1/helmholtz-inv-sol1000", "helmholtz-obs-lbfgs80"),
    ("helmholtz", "sparse", "reconstruction-solution-weight-seed1/helmholtz-inv-sol1000", "helmholtz-obs-lbfgs80"),
    ("burgers", "forward", "burgers32-reconstruction-validation/lr0.05-obs1-pde100", "burgers-fwd-lbfgs80"),
    ("burgers", "inverse", "burgers32-reconstruction-validation/lr0.05-obs1-pde10", "burgers-obs-lbfgs80"),
    ("burgers", "sparse", "burgers32-reconstruction-validation/lr0.05-obs1-pde10", "burgers-obs-lbfgs80"),
]


def at(report, task, estimated, evaluations):
    """Mean relative L2 after `evaluations` evaluations, where the report's curve has that point."""
    every = report["settings"]["every"]
    if evaluations % every:
        return None
    curve = task["relativeL2ByStep"]
    k = evaluations // every
    return curve[k] if k < len(curve) else None


def tasks(report, name):
    return [t for t in report["tasks"] if t["task"] == name]


def fmt(v):
    return "–" if v is None else f"{v:.3f}"


print("| PDE | task → estimated | Adam, defaults before (evaluations) | Adam at 40 | Adam at 60 "
      "| L-BFGS at 40 | L-BFGS at 60 | L-BFGS at 80 |")
print("|---|---|---|---|---|---|---|---|")
for pde, name, before, lbfgs in ROWS:
    adam = json.load(open(os.path.join(SWEEPS, before + ".json")))
    lb = json.load(open(os.path.join(HERE, lbfgs + ".json")))
    for a, l in zip(tasks(adam, name), tasks(lb, name)):
        s = adam["settings"]
        print(f"| {pde} | {name} → {a['estimated']} | {a['relativeL2Mean']:.3f} ({s['steps']}) "
              f"| {fmt(at(adam, a, a['estimated'], 40))} | {fmt(at(adam, a, a['estimated'], 60))} "
              f"| {fmt(at(lb, l, l['estimated'], 40))} | {fmt(at(lb, l, l['estimated'], 60))} "
              f"| {fmt(at(lb, l, l['estimated'], 80))} |")
