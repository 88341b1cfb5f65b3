#!/usr/bin/env python3
"""Checks network files written by rnnatlas against docs/network-file.md, using h5py and PyTorch.

Run by ctest as `network_file_h5py`:
    read_with_h5py.py --writer BUILD/src/io/rnnatlas_write_example_networks \
                      --docs docs/network-file.md
The writer fills a directory with <cell>.h5 (a small network briefly trained on flip_flop) and
<cell>.reference.txt (inputs, then rnnatlas's outputs, one line per time step) for every cell.

For every cell kind this checks that
  - every path and attribute of the doc's tables exists with the documented type and shape, and the
    file holds nothing the tables do not list (so the documentation stays complete);
  - strings are variable-length UTF-8 and come back from h5py as str;
  - the values are consistent (format name, timestamp, loss length, cell name, ...);
  - the doc's Python examples run on the file, and the PyTorch one reproduces rnnatlas's outputs.
Exits with 77 (ctest: skipped) when h5py or numpy is missing.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as error:  # not Debian's python3
    print(f"skipped: {error}", file=sys.stderr)
    sys.exit(77)

try:
    import torch
except ImportError:
    torch = None

CELLS = ("vanilla", "gru", "lstm", "ugrnn")
TORCH_CELLS = ("vanilla", "gru", "lstm")
MAIN_TABLE = ("path", "attribute", "type", "shape", "meaning")
PARAMETER_TABLE = ("name", "shape", "cells", "meaning")
GATE_TABLE = ("cell", "G", "gate blocks, top to bottom")


class Checker:
    def __init__(self):
        self.failures = []

    def expect(self, condition, message):
        if not condition:
            self.failures.append(message)
        return condition


def table_cells(line):
    return [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]


def parse_tables(markdown):
    """Every pipe table of the document, keyed by its header: {header: [row, ...]}."""
    lines = markdown.splitlines()
    tables = {}
    i = 0
    while i < len(lines):
        if (lines[i].startswith("|") and i + 1 < len(lines)
                and re.fullmatch(r"\|[-| ]+\|", lines[i + 1].strip())):
            header = tuple(table_cells(lines[i]))
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(table_cells(lines[i]))
                i += 1
            tables[header] = rows
        else:
            i += 1
    return tables


def evaluate_shape(text, variables):
    """'scalar' -> (); '[G·n_hidden, n_input]' -> (G * n_hidden, n_input) with `variables`."""
    if text == "scalar":
        return ()
    parts = text.strip("[]").replace("·", "*").split(",")
    return tuple(int(eval(part, {"__builtins__": {}}, variables)) for part in parts)


def check_attribute(check, obj, where, name, kind, shape):
    label = f"attribute '{name}' of {where}"
    attribute = obj.attrs.get_id(name)
    check.expect(attribute.shape == shape,
                 f"{label}: shape {attribute.shape}, documented {shape}")
    value = obj.attrs[name]
    if kind == "string":
        info = h5py.check_string_dtype(attribute.dtype)
        check.expect(info is not None and info.encoding == "utf-8" and info.length is None,
                     f"{label}: {attribute.dtype} is not a variable-length UTF-8 string")
        check.expect(isinstance(value, str), f"{label}: h5py returned {type(value)}, not str")
    else:
        check.expect(attribute.dtype == np.dtype(kind),
                     f"{label}: type {attribute.dtype}, documented {kind}")


def check_layout(check, path, cell, tables):
    rows = tables[MAIN_TABLE]
    gates = {row[0]: int(row[1]) for row in tables[GATE_TABLE]}
    with h5py.File(path, "r") as f:
        model = f["model"].attrs
        variables = {k: int(model[k]) for k in ("n_input", "n_hidden", "n_output", "n_state")}
        variables["G"] = gates[cell]
        variables["n_iterations_done"] = int(f["training"].attrs["n_iterations_done"])

        # What the tables say the file holds.
        documented_objects = set()
        documented_attributes = {}  # group path -> set of attribute names
        wildcard_groups = set()
        for where, name, kind, shape_text, _ in rows:
            if "<" in where:  # /model/parameters/<name>: the parameter table
                continue
            documented_objects.add(where)
            check.expect(where in f, f"{path}: documented {where} is missing")
            if where not in f:
                continue
            if not name:  # a dataset
                dataset = f[where]
                check.expect(isinstance(dataset, h5py.Dataset), f"{where} is not a dataset")
                check.expect(dataset.dtype == np.dtype(kind),
                             f"{where}: type {dataset.dtype}, documented {kind}")
                expected = evaluate_shape(shape_text, variables)
                check.expect(dataset.shape == expected,
                             f"{where}: shape {dataset.shape}, documented {expected}")
                continue
            if name.startswith("<"):  # one attribute per key, all of the same kind
                wildcard_groups.add(where)
                for key in f[where].attrs:
                    check_attribute(check, f[where], where, key, kind,
                                    evaluate_shape(shape_text, variables))
                continue
            documented_attributes.setdefault(where, set()).add(name)
            if check.expect(name in f[where].attrs,
                            f"{path}: documented {name} of {where} is missing"):
                check_attribute(check, f[where], where, name, kind,
                                evaluate_shape(shape_text, variables))

        for name, shape_text, cells, _ in tables[PARAMETER_TABLE]:
            if cells != "all" and cell not in [c.strip() for c in cells.split(",")]:
                continue
            where = f"/model/parameters/{name}"
            documented_objects.add(where)
            if not check.expect(where in f, f"{path}: documented {where} is missing"):
                continue
            expected = evaluate_shape(shape_text, variables)
            check.expect(f[where].shape == expected and f[where].dtype == np.float64,
                         f"{where}: {f[where].dtype} {f[where].shape}, "
                         f"documented float64 {expected}")

        # What the file holds that the tables do not list.
        for where in list(documented_objects):
            parts = where.strip("/").split("/")
            documented_objects.update("/" + "/".join(parts[:i]) for i in range(1, len(parts)))
        found = set()
        f.visit(lambda name: found.add("/" + name))
        check.expect(found <= documented_objects,
                     f"{path}: undocumented objects {sorted(found - documented_objects)}")
        for where in ["/"] + sorted(found):
            attributes = set(f[where].attrs)
            if where in wildcard_groups:
                continue
            undocumented = attributes - documented_attributes.get(where, set())
            check.expect(not undocumented,
                         f"{path}: undocumented attributes {sorted(undocumented)} of {where}")

        # Values.
        root = f.attrs
        check.expect(root["format"] == "rnnatlas.network", f"format is {root['format']!r}")
        check.expect(root["format_version"] >= 1, "format_version < 1")
        check.expect(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", root["created"]) is not None,
                     f"created = {root['created']!r} is not ISO 8601 UTC")
        check.expect(model["cell"] == cell, f"cell is {model['cell']!r}, expected {cell!r}")
        check.expect(model["n_state"] == model["n_hidden"] * (2 if cell == "lstm" else 1),
                     "n_state does not follow the cell")
        training = f["training"].attrs
        check.expect(training["termination"] == "completed",
                     f"termination is {training['termination']!r}")
        check.expect(training["n_iterations_done"] == training["n_iterations"] == 4,
                     "the example trains 4 iterations")
        check.expect(np.all(np.isfinite(f["training/loss"][()])), "loss is not finite")
        check.expect(f["task"].attrs["name"] == "flip_flop", "task name")
        check.expect(f["task/params"].attrs["n_bits"] == 2.0, "task parameter n_bits")
        evaluation = f["evaluation"].attrs
        check.expect(0.0 <= evaluation["sign_accuracy"] <= 1.0, "sign_accuracy outside [0, 1]")
        check.expect(evaluation["n_trials"] == training["n_eval_batch"], "n_trials")


def check_examples(check, directory, cell, blocks):
    """Runs the doc's Python blocks on <cell>.h5 (as net.h5); compares PyTorch with rnnatlas."""
    workdir = os.path.join(directory, f"examples-{cell}")
    os.makedirs(workdir)
    shutil.copy(os.path.join(directory, f"{cell}.h5"), os.path.join(workdir, "net.h5"))
    namespace = {}
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        for index, block in enumerate(blocks):
            uses_torch = "import torch" in block
            if uses_torch and (torch is None or cell not in TORCH_CELLS):
                continue
            try:
                exec(compile(block, f"docs/network-file.md python block {index + 1}", "exec"),
                     namespace)
            except Exception as error:  # report and go on with the other cells
                check.expect(False, f"{cell}: doc python block {index + 1} failed: {error!r}")
                return
    finally:
        os.chdir(cwd)
    if torch is None or cell not in TORCH_CELLS:
        return
    if not check.expect("rnn" in namespace and "readout" in namespace,
                        "the PyTorch example must define `rnn` and `readout`"):
        return
    reference = np.loadtxt(os.path.join(directory, f"{cell}.reference.txt"), ndmin=2)
    n_input = namespace["rnn"].input_size
    x = torch.from_numpy(reference[:, :n_input].copy()).unsqueeze(1)  # [n_time, 1, n_input]
    with torch.no_grad():
        h, _ = namespace["rnn"](x)
        y = namespace["readout"](h)[:, 0, :].numpy()
    expected = reference[:, n_input:]
    error = float(np.max(np.abs(y - expected)))
    check.expect(y.shape == expected.shape and error <= 1e-12,
                 f"{cell}: PyTorch outputs differ from rnnatlas by {error:.3g} (shape {y.shape})")
    print(f"{cell}: PyTorch reproduces rnnatlas outputs, max |difference| = {error:.2g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writer", required=True, help="rnnatlas_write_example_networks binary")
    parser.add_argument("--docs", required=True, help="docs/network-file.md")
    args = parser.parse_args()

    with open(args.docs, encoding="utf-8") as doc:
        markdown = doc.read()
    tables = parse_tables(markdown)
    for header in (MAIN_TABLE, PARAMETER_TABLE, GATE_TABLE):
        if header not in tables:
            sys.exit(f"{args.docs}: no table with header {header}")
    blocks = re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)
    if torch is None:
        print("torch not importable: PyTorch checks skipped", file=sys.stderr)

    check = Checker()
    with tempfile.TemporaryDirectory(prefix="rnnatlas_h5py_") as directory:
        subprocess.run([args.writer, directory], check=True)
        for cell in CELLS:
            check_layout(check, os.path.join(directory, f"{cell}.h5"), cell, tables)
            check_examples(check, directory, cell, blocks)

    for failure in check.failures:
        print("FAIL:", failure, file=sys.stderr)
    if check.failures:
        sys.exit(1)
    print(f"all {len(CELLS)} example files match {args.docs}")


if __name__ == "__main__":
    main()
