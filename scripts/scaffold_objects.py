#!/usr/bin/python3
"""What objects make up the scaffolds of a population, per architecture?

    PYTHONPATH=build/release/python /usr/bin/python3 scripts/scaffold_objects.py OUT/TASK

For every dynamics file of the population (OUT/TASK/dynamics/*.h5) and each condition, counts what
the topology signature counts: isolated fixed points and continuous attractors by shape (open
curve, closed curve, manifold). Also the slow points that joined a continuum, and how line-like
the continua of at least 3 points are: the share of the variance of their points' positions on
the first principal component (1 for points on a straight line). A "manifold" (dimension >= 2, the
median number of marginal modes of its points) whose points lie on a line has marginal modes off
the set, not a second dimension along it.

Prints one row per architecture: conditions, and per condition the isolated fixed points, open
curves, closed curves and manifolds; the share of the isolated fixed points that have a marginal
mode (| |lambda| - 1 | <= line_attractor_tol, 1 / n_time unless set: only those can join a
continuum); slow points on continua; the median first-component share of the open curves and of
the manifolds.
"""

import argparse
import collections
import pathlib
import sys

import numpy as np

import rnnatlas

SHAPES = ("open_curve", "closed_curve", "manifold")


def first_component_share(points: np.ndarray) -> float:
    """The share of the variance of the rows of `points` on their first principal component."""
    centred = points - points.mean(axis=0)
    energy = np.linalg.svd(centred, compute_uv=False) ** 2
    return float(energy[0] / energy.sum()) if energy.sum() > 0 else 1.0


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("population", type=pathlib.Path, help="OUT/TASK of a study")
    args = parser.parse_args(argv)
    files = sorted((args.population / "dynamics").glob("*.h5"))
    if not files:
        print(f"scaffold_objects: no dynamics files in {args.population / 'dynamics'}; run "
              "`rnnatlas dynamics` on the population first", file=sys.stderr)
        return 2
    counts = collections.defaultdict(collections.Counter)
    shares = collections.defaultdict(lambda: collections.defaultdict(list))
    for path in files:
        dynamics = rnnatlas.load_dynamics(str(path))
        arch = dynamics.cell
        tol = dynamics.options.line_attractor_tol
        if tol <= 0:
            tol = 1.0 / dynamics.trajectories.n_time
        for c in dynamics.conditions:
            attractor = np.asarray(c.attractor)
            slow = np.asarray(c.is_slow, dtype=bool)
            states = np.asarray(c.states)
            counts[arch]["conditions"] += 1
            isolated = (attractor < 0) & ~slow
            moduli = np.abs(np.asarray(c.eigenvalues))  # [n_points, n_state]
            marginal = (np.abs(moduli - 1.0) <= tol).any(axis=1) if len(moduli) else isolated
            counts[arch]["isolated"] += int(np.sum(isolated))
            counts[arch]["isolated marginal"] += int(np.sum(isolated & marginal))
            counts[arch]["slow on continua"] += int(np.sum((attractor >= 0) & slow))
            for i, a in enumerate(c.continuous_attractors):
                counts[arch][a.shape] += 1
                members = states[attractor == i]
                if len(members) >= 3:
                    shares[arch][a.shape].append(first_component_share(members))
    header = ["architecture", "conditions", "isolated fixed points", "open curves",
              "closed curves", "manifolds", "isolated with a marginal mode",
              "slow points on continua",
              "PC1 share (open curves)", "PC1 share (manifolds)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for arch, n in counts.items():
        per = n["conditions"]
        row = [arch, str(per), f"{n['isolated'] / per:.2f}"]
        row += [f"{n[shape] / per:.2f}" for shape in SHAPES]
        row.append(f"{n['isolated marginal'] / n['isolated']:.0%}" if n["isolated"] else "-")
        row.append(f"{n['slow on continua'] / per:.1f}")
        for shape in ("open_curve", "manifold"):
            values = shares[arch][shape]
            row.append(f"{np.median(values):.3f}" if values else "-")
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
