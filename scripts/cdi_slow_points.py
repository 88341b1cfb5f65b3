#!/usr/bin/python3
"""Where are the points a context-integration analysis found? Near the states the trials visit, or
far from them?

    PYTHONPATH=build/release/python /usr/bin/python3 scripts/cdi_slow_points.py OUT/context_integration

For every dynamics file of a context-dependent integration population, and each context, the points
the search kept (exact fixed points, q <= tol_q, and slow points) are compared with the states the
example trials of that context visit (the trajectories stored in the file). The scale is the
trials' spread: the root mean square distance of the visited states to their mean. A point is
"on the task manifold" when its distance to the nearest visited state is at most one spread.

Per architecture (medians over networks and contexts): points found, exact fixed points, the
median q, the share of points with a marginal mode (an eigenvalue within the analysis's line
tolerance, 1 / n_time of the task, of the unit circle), the median distance of the points to the
visited states in spreads, the share of points on the task manifold, and the exact fixed points
among them. The line attractor that integrates evidence lies
on the task manifold; points far from it are structure the trials never reach.
"""

import argparse
import collections
import pathlib
import sys

import numpy as np

import rnnatlas


def context_states(dyn, context: int) -> np.ndarray:
    """[n_visits, n_state] states of the example trials in `context` (all trials if none is)."""
    traj = dyn.trajectories
    states = np.asarray(traj.states)  # [n_trials, n_time, n_state]
    inputs = np.asarray(traj.inputs)  # [n_trials, n_time, n_input]
    chosen = inputs[:, 0, 2 + context] == 1.0
    if not chosen.any():
        chosen[:] = True
    return states[chosen].reshape(-1, states.shape[-1])


def examine(path: pathlib.Path) -> list[dict]:
    dyn = rnnatlas.load_dynamics(path)
    out = []
    for k, cond in enumerate(dyn.conditions):
        visited = context_states(dyn, k)
        spread = float(np.sqrt(((visited - visited.mean(0)) ** 2).sum(1).mean()))
        points = np.asarray(cond.states)
        slow = np.asarray(cond.is_slow, dtype=bool)
        if len(points):
            d2 = ((points[:, None, :] - visited[None, :, :]) ** 2).sum(-1)
            distance = np.sqrt(d2.min(1)) / spread
        else:
            distance = np.zeros(0)
        near = distance <= 1.0
        q = np.asarray(cond.q)
        moduli = np.abs(np.asarray(cond.eigenvalues))  # [n_points, n_state]
        tol = 1.0 / dyn.trajectories.n_time
        marginal = (np.abs(moduli - 1.0) <= tol).any(axis=1) if len(points) else np.zeros(0)
        out.append({"cell": dyn.cell, "points": len(points),
                    "exact": int((~slow).sum()),
                    "median_q": float(np.median(q)) if len(points) else np.nan,
                    "share_marginal": float(marginal.mean()) if len(points) else np.nan,
                    "median_distance": float(np.median(distance)) if len(points) else np.nan,
                    "share_near": float(near.mean()) if len(points) else np.nan,
                    "exact_near": int((near & ~slow).sum())})
    return out


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("population", type=pathlib.Path,
                        help="a context_integration population directory")
    args = parser.parse_args(argv)
    files = sorted((args.population / "dynamics").glob("*.h5"))
    if not files:
        print(f"{args.population}/dynamics: no dynamics files; run `rnnatlas dynamics` first",
              file=sys.stderr)
        return 2
    by_cell = collections.defaultdict(list)
    for f in files:
        for row in examine(f):
            by_cell[row["cell"]].append(row)
    print("| architecture | networks x contexts | points found | exact fixed points | median q | "
          "points with a marginal mode | median distance to visited states (spreads) | points "
          "within 1 spread | exact fixed points within 1 spread |")
    print("|---|---|---|---|---|---|---|---|---|")
    for cell, rows in by_cell.items():
        med = {key: float(np.nanmedian([r[key] for r in rows]))
               for key in ("points", "exact", "median_q", "share_marginal", "median_distance",
                           "share_near", "exact_near")}
        print(f"| {cell} | {len(rows)} | {med['points']:.0f} | {med['exact']:.1f} | "
              f"{med['median_q']:.0e} | {100 * med['share_marginal']:.0f}% | "
              f"{med['median_distance']:.2f} | {100 * med['share_near']:.0f}% | "
              f"{med['exact_near']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
