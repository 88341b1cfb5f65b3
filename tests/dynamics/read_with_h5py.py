#!/usr/bin/env python3
"""Checks dynamics files written by rnnatlas against docs/pipeline.md, using h5py.

Run by ctest as `dynamics_file_h5py`:
    read_with_h5py.py --writer BUILD/src/dynamics/rnnatlas_write_example_dynamics \
                      --docs docs/pipeline.md
The writer fills a directory with one dynamics file per task (and an LSTM flip-flop). For each
file this checks that every name of the doc's "Dynamics file" section exists with the documented
kind (attribute or dataset), type and shape, that the groups hold nothing the doc does not list
(so the documentation stays complete), and a few values (format, version, flags, label indices).
Exits with 77 (ctest: skipped) when h5py or numpy is missing.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as error:  # not Debian's python3
    print(f"skipped: {error}", file=sys.stderr)
    sys.exit(77)

FILES = ("flip_flop", "sine_wave", "context_integration", "lstm_flip_flop", "limit_cycles")
COMMON_ROOT = {"format": "string", "library_version": "string", "created": "string",
               "format_version": "int"}


class Checker:
    def __init__(self):
        self.failures = []

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)
        return condition


def section(markdown, title_start):
    """The text of the '## ...' section whose title starts with title_start."""
    match = re.search(r"^## " + re.escape(title_start) + r".*?$(.*?)(?=^## |\Z)", markdown,
                      re.M | re.S)
    if not match:
        sys.exit(f"docs: no section '## {title_start}'")
    return match.group(1)


def table_rows(text, header_start):
    """Rows (lists of cells) of the first markdown table after a line starting with header_start."""
    lines = text[text.index(header_start):].splitlines()
    rows, started = [], False
    for line in lines:
        if line.startswith("|"):
            started = True
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if set(cells[0]) <= set("-") or cells[0] == "name":
                continue
            rows.append(cells)
        elif started:
            break
    return rows


def names_of(cell):
    return re.findall(r"`(\w+)`", cell)


def parse_type_shape(text):
    """'[n_points] uint8' -> (['n_points'], 'uint8'); 'string' -> (None, 'string')."""
    shape = None
    match = re.search(r"\[([^\]]*)\]", text)
    if match:
        shape = [d.strip() for d in match.group(1).split(",")]
        text = text[:match.start()] + text[match.end():]
    kind = None
    for word in ("uint8", "int", "string"):
        if re.search(r"\b" + word + r"\b", text):
            kind = word
            break
    return shape, kind


def spec_from_prose(text):
    """Backticked names in prose: `name` [shape] type -> dataset; other names -> attribute."""
    spec = {}
    for match in re.finditer(r"`(\w+)`(\s*\[([^\]]+)\])?(\s*(uint8|int)\b)?", text):
        name, shape, kind = match.group(1), match.group(3), match.group(5)
        if shape:
            spec[name] = ("dataset", [d.strip() for d in shape.split(",")], kind)
        else:
            spec[name] = ("attribute", None, None)
    return spec


def parse_docs(markdown):
    text = section(markdown, "Dynamics file")
    docs = {}
    root = re.search(r"Root attributes:(.*?)\n\n", text, re.S).group(1)
    docs["root"] = {n: ("attribute", None, None) for n in names_of(root)}
    conditions = {}
    for cells in table_rows(text, "`/conditions/<k>`"):
        shape, kind = parse_type_shape(cells[2])
        for name in names_of(cells[0]):
            conditions[name] = ("attribute" if cells[1].startswith("attribute") else "dataset",
                                shape, kind)
    docs["conditions"] = conditions
    docs["trajectories"] = {names_of(c[0])[0]: ("dataset", parse_type_shape(c[1])[0], None)
                            for c in table_rows(text, "`/trajectories`")}
    analysis = text[text.index("`/analysis`"):text.index("`/topology`")]
    docs["analysis"] = {}
    for bullet in re.split(r"^- ", analysis, flags=re.M)[1:]:
        task = bullet.split()[0]
        spec = spec_from_prose(bullet)
        spec["task"] = ("attribute", None, "string")
        docs["analysis"][task] = spec
    docs["topology"] = {k: v for k, v in spec_from_prose(text[text.index("`/topology`"):]).items()
                        if v[0] == "dataset"}
    return docs


def dimension(token, sizes):
    try:
        return int(eval(token, {"__builtins__": {}}, sizes))  # "n_state + 1", "27", "n_points"
    except Exception:
        raise SystemExit(f"docs: cannot evaluate shape entry '{token}' with {sorted(sizes)}")


def check_node(check, node, where, spec, sizes, exact=True):
    """Every name of spec exists in node as documented; with exact, nothing else does."""
    for name, (kind, shape, dtype) in spec.items():
        label = f"{where}/{name}"
        if kind == "attribute":
            if not check.expect(name in node.attrs, f"{label}: attribute missing"):
                continue
            value = node.attrs[name]
            if dtype == "string":
                check.expect(isinstance(value, str), f"{label}: {value!r} is not a str")
            elif dtype == "int":
                check.expect(isinstance(value, np.integer), f"{label}: {value!r} is not an int")
            continue
        if not check.expect(name in node and isinstance(node[name], h5py.Dataset),
                            f"{label}: dataset missing"):
            continue
        data = node[name]
        if shape is not None:
            expected = tuple(dimension(d, sizes) for d in shape)
            check.expect(data.shape == expected, f"{label}: shape {data.shape} != {expected}")
        if dtype == "uint8":
            check.expect(data.dtype == np.uint8, f"{label}: dtype {data.dtype} != uint8")
        elif dtype == "int":
            check.expect(data.dtype == np.int64, f"{label}: dtype {data.dtype} != int64")
        elif dtype is None:
            check.expect(data.dtype in (np.float64, np.int64), f"{label}: dtype {data.dtype}")
    if exact:
        documented_attributes = {n for n, v in spec.items() if v[0] == "attribute"}
        documented_datasets = {n for n, v in spec.items() if v[0] == "dataset"}
        extra = set(node.attrs) - documented_attributes
        check.expect(not extra, f"{where}: undocumented attributes {sorted(extra)}")
        if isinstance(node, h5py.Group):
            extra = {k for k in node if isinstance(node[k], h5py.Dataset)} - documented_datasets
            check.expect(not extra, f"{where}: undocumented datasets {sorted(extra)}")


def check_file(check, path, docs):
    name = os.path.basename(path)
    with h5py.File(path, "r") as f:
        root_spec = dict(docs["root"])
        root_spec.update({k: ("attribute", None, v) for k, v in COMMON_ROOT.items()})
        for key in ("network_id", "network_file", "task", "cell", "activation"):
            root_spec[key] = ("attribute", None, "string")
        for key in ("n_hidden", "n_state", "n_input", "n_output", "n_conditions"):
            root_spec[key] = ("attribute", None, "int")
        check_node(check, f, name, root_spec, {})
        check.expect(f.attrs.get("format") == "rnnatlas.dynamics", f"{name}: format")
        check.expect(f.attrs.get("format_version") == 2, f"{name}: format_version")
        check.expect(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", f.attrs.get("created", "")),
                     f"{name}: created is not a UTC timestamp")
        extra = set(f) - {"options", "conditions", "trajectories", "analysis", "topology"}
        check.expect(not extra, f"{name}: undocumented groups {sorted(extra)}")
        task = f.attrs["task"]
        n_state, n_conditions = int(f.attrs["n_state"]), int(f.attrs["n_conditions"])
        cell = f.attrs["cell"]
        check.expect(n_state == (2 if cell == "lstm" else 1) * int(f.attrs["n_hidden"]),
                     f"{name}: n_state {n_state} for a {cell} cell")
        inputs = f["trajectories/inputs"]
        sizes = {"n_state": n_state, "n_input": int(f.attrs["n_input"]),
                 "n_output": int(f.attrs["n_output"]), "n_bits": int(f.attrs["n_output"]),
                 "n_conditions": n_conditions, "n_contexts": n_conditions,
                 "n_trials": inputs.shape[0], "n_time": inputs.shape[1]}

        options = f["options"]
        check.expect(len(options.attrs) > 0, f"{name}/options: no attributes")
        sizes["n_exponents"] = min(int(options.attrs["transitions.limit_cycles.n_lyapunov"]),
                                   n_state)
        for key, value in options.attrs.items():
            check.expect(isinstance(value, (np.integer, np.floating)),
                         f"{name}/options/{key}: {value!r} is not a number")

        groups = sorted(f["conditions"], key=int)
        check.expect(groups == [str(k) for k in range(n_conditions)],
                     f"{name}/conditions: groups {groups}")
        for k in groups:
            group = f["conditions"][k]
            local = dict(sizes, n_points=int(group.attrs["n_points"]),
                         n_cycles=int(group.attrs["n_cycles"]),
                         n_attractors=int(group.attrs["n_attractors"]))
            check_node(check, group, f"{name}/conditions/{k}", docs["conditions"], local)
            check.expect(set(np.unique(group["is_slow"][()])) <= {0, 1}, f"{name}: is_slow flags")
            check.expect(set(np.unique(group["stability"][()])) <= {0, 1, 2, 3},
                         f"{name}: stability codes")
            check.expect(set(np.unique(group["cycle_kind"][()])) <= {1, 2}, f"{name}: cycle kinds")
            check.expect(np.array_equal(group["cycle_transitions"][()].sum(axis=0) > 0,
                                        np.ones(local["n_cycles"], dtype=bool)),
                         f"{name}: a limit cycle that no run reached")
            attractor = group["attractor"][()]
            check.expect(np.all((attractor >= -1) & (attractor < local["n_attractors"])),
                         f"{name}: attractor indices")
            check.expect(np.all(attractor[group["is_slow"][()] == 1] == -1),
                         f"{name}: a slow point on a continuous attractor")
            if k == "0":
                sizes["n_points"] = local["n_points"]

        check_node(check, f["trajectories"], f"{name}/trajectories", docs["trajectories"], sizes)
        if check.expect(task in docs["analysis"], f"{name}: the docs have no analysis for {task}"):
            check_node(check, f["analysis"], f"{name}/analysis", docs["analysis"][task], sizes)
            check.expect(f["analysis"].attrs.get("task") == task, f"{name}/analysis: task")
        topology = {"signature": docs["topology"]["signature"]}
        if task == "flip_flop":
            topology["label_graph"] = docs["topology"]["label_graph"]
            labels = f["analysis/labels"][()]
            check.expect(set(np.unique(labels)) <= {-1, 0, 1}, f"{name}: labels")
            # The label graph's diagonal counts the fixed points per ternary label index.
            fixed = f["conditions/0/is_slow"][()] == 0
            index = ((labels[fixed] + 1) * 3 ** np.arange(labels.shape[1])[::-1]).sum(axis=1)
            counts = np.bincount(index, minlength=3 ** labels.shape[1])
            check.expect(np.array_equal(np.diag(f["topology/label_graph"][()]), counts),
                         f"{name}: label_graph diagonal != fixed points per label")
        check_node(check, f["topology"], f"{name}/topology", topology, sizes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writer", required=True)
    parser.add_argument("--docs", required=True)
    args = parser.parse_args()
    with open(args.docs, encoding="utf-8") as f:
        docs = parse_docs(f.read())
    check = Checker()
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run([args.writer, directory], check=True)
        for name in FILES:
            check_file(check, os.path.join(directory, name + ".h5"), docs)
        with h5py.File(os.path.join(directory, "limit_cycles.h5"), "r") as f:
            check.expect(all(f[f"conditions/{k}"].attrs["n_cycles"] == 1 for k in ("0", "1")),
                         "limit_cycles.h5: expected one limit cycle per condition")
    for failure in check.failures:
        print("FAIL:", failure)
    print(f"{len(FILES)} files, {len(check.failures)} failures")
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
