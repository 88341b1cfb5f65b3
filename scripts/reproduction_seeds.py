#!/usr/bin/python3
"""Runs the study at several seeds and writes the generated part of docs/reproduction.md.

    /usr/bin/python3 scripts/reproduction_seeds.py [--scale small] [--seeds 0,1,2]
                                                   [--out out/seeds] [--no-run] [--n-threads N]
                                                   [--cli PATH]
                                                   [--doc docs/reproduction.md]

For each seed S it runs `rnnatlas reproduce --scale SCALE --seed S --out OUT/seed-S` (which resumes
a run that was stopped), then reads OUT/seed-S/report/results.json of every seed and replaces the
text between the markers GENERATED_BEGIN and GENERATED_END of the doc with tables of the
populations and of every claim's verdict and statistic per seed. Nothing in those tables is
typed by hand; the prose around them (the explanations) is. --no-run only rewrites the tables
from results already there. Exit status: 0 done, 1 a run failed, 2 bad arguments or a missing
results.json.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CLI = ROOT / "build" / "release" / "apps" / "rnnatlas" / "rnnatlas"
BEGIN = "<!-- GENERATED_BEGIN: scripts/reproduction_seeds.py writes this part; do not edit -->"
END = "<!-- GENERATED_END -->"
TASK_NAMES = {
    "flip_flop": "3-bit flip-flop",
    "sine_wave": "sine-wave generation",
    "context_integration": "context-dependent integration",
}
SHORT_VERDICT = {
    "reproduced": "**yes**",
    "not reproduced": "**no**",
    "not enough networks": "too few",
    "not run": "not run",
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seeds", default="0,1,2",
                        help="comma-separated seed offsets (at least 3 for the doc)")
    parser.add_argument("--out", default="out/seeds", help="runs go to OUT/seed-S")
    parser.add_argument("--no-run", action="store_true", help="only regenerate the tables")
    parser.add_argument("--n-threads", type=int, default=0, help="threads per stage (0: all cores)")
    parser.add_argument("--cli", default=str(CLI), help="the rnnatlas program (default: the build's)")
    parser.add_argument("--doc", default=str(ROOT / "docs" / "reproduction.md"))
    args = parser.parse_args(argv)
    try:
        args.seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--seeds: '{args.seeds}' is not a comma-separated list of integers")
    if not args.seeds or any(s < 0 for s in args.seeds):
        parser.error("--seeds: give one or more non-negative integers, e.g. 0,1,2")
    return args


def run_seed(args, seed: int) -> float:
    out = pathlib.Path(args.out) / f"seed-{seed}"
    command = [args.cli, "reproduce", "--scale", args.scale, "--seed", str(seed),
               "--out", str(out), "--n-threads", str(args.n_threads)]
    print("$ " + " ".join(command), file=sys.stderr, flush=True)
    start = time.monotonic()
    status = subprocess.call(command)
    if status != 0:
        sys.exit(f"reproduction_seeds: seed {seed} failed with exit status {status}; rerun to "
                 "resume it")
    return time.monotonic() - start


def load_results(args, seed: int) -> dict:
    path = pathlib.Path(args.out) / f"seed-{seed}" / "report" / "results.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        print(f"reproduction_seeds: {path} not found; run without --no-run first", file=sys.stderr)
        sys.exit(2)


def population_table(seeds, results) -> list[str]:
    lines = ["| task | " + " | ".join(f"seed {s}: kept / networks (diverged)" for s in seeds) + " |",
             "|---|" + "---|" * len(seeds)]
    for task, name in TASK_NAMES.items():
        cells = []
        for r in results:
            t = r["tasks"].get(task, {})
            total = t.get("population", {}).get("total")
            cells.append(f"{total['kept']} / {total['networks']} ({total['diverged']})"
                         if total else "not run")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Kept networks per group (architecture-nonlinearity), seed by seed:")
    lines.append("")
    lines.append("| task | group | " + " | ".join(f"seed {s}" for s in seeds) + " |")
    lines.append("|---|---|" + "---|" * len(seeds))
    for task, name in TASK_NAMES.items():
        groups: dict[str, list[str]] = {}
        for i, r in enumerate(results):
            for g in r["tasks"].get(task, {}).get("population", {}).get("groups", []):
                mse = g["median_normalized_mse"]
                cell = f"{g['kept']}/{g['networks']}" + (f" (median {mse:.3g})" if mse else "")
                groups.setdefault(f"{g['cell']}-{g['activation']}", ["-"] * len(results))[i] = cell
        for group, cells in groups.items():
            lines.append(f"| {name} | {group} | " + " | ".join(cells) + " |")
    return lines


def claims_tables(seeds, results) -> list[str]:
    lines = []
    totals = [[0, 0] for _ in seeds]
    for task, name in TASK_NAMES.items():
        order: list[str] = []
        by_id: dict[str, list[dict]] = {}
        for i, r in enumerate(results):
            for c in r["tasks"].get(task, {}).get("claims", []):
                if c["id"] not in by_id:
                    order.append(c["id"])
                    by_id[c["id"]] = [None] * len(results)
                by_id[c["id"]][i] = c
        if not order:
            continue
        lines += ["", f"### {name}", "",
                  "| claim | " + " | ".join(f"seed {s}" for s in seeds) + " |",
                  "|---|" + "---|" * len(seeds)]
        for claim_id in order:
            row = by_id[claim_id]
            title = next(c["claim"] for c in row if c is not None)
            cells = []
            for i, c in enumerate(row):
                if c is None:
                    cells.append("-")
                    continue
                totals[i][1] += 1
                totals[i][0] += c["verdict"] == "reproduced"
                measured = c["measured"].replace("|", "/")
                cells.append(f"{SHORT_VERDICT.get(c['verdict'], c['verdict'])}: {measured}")
            lines.append(f"| {title} | " + " | ".join(cells) + " |")
    summary = ["| | " + " | ".join(f"seed {s}" for s in seeds) + " |",
               "|---|" + "---|" * len(seeds),
               "| claims reproduced | " + " | ".join(f"{a} of {b}" for a, b in totals) + " |"]
    return summary + lines


def generated_text(args, seeds, results, seconds) -> str:
    versions = sorted({r.get("library_version", "?") for r in results})
    lines = [BEGIN, "",
             f"`rnnatlas reproduce --scale {args.scale} --seed S` for S = "
             + ", ".join(map(str, seeds)) + f" (rnnatlas {', '.join(versions)}); every number "
             "below is read from each run's `report/results.json` by "
             "`scripts/reproduction_seeds.py`."]
    if seconds:
        lines.append("Wall time per seed on this run's machine: "
                     + ", ".join(f"seed {s}: {t / 60:.1f} min" for s, t in seconds.items()) + ".")
    lines += ["", "### Populations", ""] + population_table(seeds, results)
    lines += ["", "### Verdicts", ""] + claims_tables(seeds, results)
    lines += ["", END]
    return "\n".join(lines)


def main(argv) -> int:
    args = parse_args(argv)
    seconds = {}
    if not args.no_run:
        for seed in args.seeds:
            seconds[seed] = run_seed(args, seed)
    results = [load_results(args, seed) for seed in args.seeds]
    doc = pathlib.Path(args.doc)
    text = doc.read_text() if doc.exists() else f"# Reproduction\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        print(f"reproduction_seeds: {doc} has no {BEGIN!r} ... {END!r} markers", file=sys.stderr)
        return 2
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    doc.write_text(head + generated_text(args, args.seeds, results, seconds) + tail)
    print(f"reproduction_seeds: wrote {doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
