#!/usr/bin/python3
"""Why does a trained flip-flop network miss one of its 8 stable corners? Long free runs decide.

    PYTHONPATH=build/release/python /usr/bin/python3 scripts/flip_flop_corners.py OUT/flip_flop
                                                     [--steps 5000] [--json FILE]

For every kept network of a flip-flop population with a dynamics file, each of the 2^n_bits
memories is written by one pulse per channel at t = 0 (the sign of the corner) and the network then
runs freely at zero input for --steps steps. The ground truth of a memory:
  - fixed point: the readout still rounds to the corner at the end, and Newton from the final
    state (find_fixed_points with no Adam iterations) converges, within 0.1 of it, to a fixed point
    without unstable modes: gated networks approach their memories along modes with |lambda| within
    1e-3 of 1, so a free run alone has not settled after a few thousand steps;
  - slow point: the readout still rounds to the corner at the end, but no fixed point is near;
  - decays: the readout rounds to the corner at the end of a task trial (n_time steps) but not at
    the end of the free run: a memory that lasts a trial and then fades;
  - lost: the readout has left the corner within a trial.
Only the corners the search missed (no stable fixed point of the dynamics file reads out that
corner) are examined; a missed corner at a fixed point is a search failure. The table counts, per
architecture, the networks whose search found all 8 corners, and the missed corners by cause.
"""

import argparse
import collections
import json
import pathlib
import sys

import numpy as np

import rnnatlas

NEWTON_REACH = 0.1


def corner_inputs(n_bits: int, n_time: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs [2^n_bits, n_time, n_bits] with the corner's signs pulsed at t = 0, and the corners."""
    corners = np.array([[1 if (c >> b) & 1 else -1 for b in range(n_bits)]
                        for c in range(2 ** n_bits)], dtype=float)
    inputs = np.zeros((len(corners), n_time, n_bits))
    inputs[:, 0, :] = corners
    return inputs, corners


def classify(network_path: pathlib.Path, dynamics_path: pathlib.Path, steps: int) -> dict:
    net = rnnatlas.load_network(network_path)
    dyn = rnnatlas.load_dynamics(dynamics_path)
    cond = dyn.conditions[0]
    n_bits = net.n_output
    n_time = dyn.trajectories.n_time
    inputs, corners = corner_inputs(n_bits, steps)
    states, outputs = net.run(inputs)
    end = states[:, -1, :]
    zero = np.zeros(n_bits)
    at_trial = np.sign(np.round(np.clip(outputs[:, n_time - 1, :], -1, 1)))
    at_end = np.sign(np.round(np.clip(outputs[:, -1, :], -1, 1)))
    stable = [p for p in range(cond.n_points)
              if not cond.is_slow[p] and cond.n_unstable[p] == 0]
    labels = dyn.flip_flop.labels
    found_corners = {tuple(int(v) for v in labels[p]) for p in stable if np.all(labels[p] != 0)}
    causes = []
    for c in range(len(corners)):
        if tuple(int(v) for v in corners[c]) in found_corners:
            causes.append("found")
        elif not np.array_equal(at_end[c], corners[c]):
            causes.append("decays" if np.array_equal(at_trial[c], corners[c]) else "lost")
        else:
            refined = rnnatlas.find_fixed_points(net, end[c][None, :], zero, max_iters=0).points
            fixed = [p for p in range(refined.n_points)
                     if not refined.is_slow[p]
                     and np.linalg.norm(refined.states[p] - end[c]) <= NEWTON_REACH
                     and rnnatlas.linearize(net, refined.states[p], zero).n_unstable == 0]
            causes.append("search failure" if fixed else "slow point")
    return {"network": network_path.stem, "cell": net.cell, "activation": net.activation,
            "corners_found_by_search": len(found_corners), "causes": causes}


def main(argv) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("population", type=pathlib.Path, help="a flip-flop population directory")
    parser.add_argument("--steps", type=int, default=5000, help="free-run steps (default 5000)")
    parser.add_argument("--json", type=pathlib.Path, help="also write every network's result")
    args = parser.parse_args(argv)
    dynamics_dir = args.population / "dynamics"
    files = sorted(dynamics_dir.glob("*.h5"))
    if not files:
        print(f"{dynamics_dir}: no dynamics files; run `rnnatlas dynamics` first", file=sys.stderr)
        return 2
    results = [classify(args.population / "networks" / f.name, f, args.steps) for f in files]
    by_cell = collections.defaultdict(list)
    for r in results:
        by_cell[r["cell"]].append(r)
    print("| architecture | networks | all 8 found by the search | missing: fixed point the search "
          "missed | slow point | decays after a trial | lost within a trial |")
    print("|---|---|---|---|---|---|---|")
    for cell, rs in by_cell.items():
        counts = collections.Counter(c for r in rs for c in r["causes"])
        complete = sum(r["corners_found_by_search"] == 2 ** 3 for r in rs)
        print(f"| {cell} | {len(rs)} | {complete} | {counts['search failure']} | "
              f"{counts['slow point']} | {counts['decays']} | {counts['lost']} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
