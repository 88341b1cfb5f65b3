"""A trained population (a `rnnatlas sweep` directory) as Python objects and numpy arrays.

    pop = rnnatlas.load_population("runs/flip_flop_small")
    pop.records[0]["id"], pop.records[0]["normalized_mse"]     # one dict per manifest row
    pop.table["normalized_mse"][pop.table["kept"]]              # numpy columns, pandas-free
    net = pop.network("0004-gru-tanh-h32-s0")                   # loaded on first access
    for record, net in pop.kept_networks(): ...

The manifest (DIR/manifest.csv, docs/sweep.md) is read once, and checked by the library's own
reader exactly as the CLI stages check it: a population they refuse is refused here. Network files
are loaded lazily and cached, each after checking its content hash against the manifest. Numbers
come back as int or float, "kept" as bool, empty fields (networks not trained yet) as NaN in the
table and None in the records. ``snapshot_note`` is "" for a finished sweep, and otherwise says
that the population is a snapshot (a sweep still running, or stopped before the end).
"""

from __future__ import annotations

import csv
import os
from typing import Any, Iterator

import numpy as np

_INT_COLUMNS = {"index", "grid_index", "n_hidden", "lr_decay_steps", "n_iterations", "n_batch",
                "seed", "init_seed", "train_seed", "n_iterations_done"}
_BOOL_COLUMNS = {"kept"}
_TEXT_COLUMNS = {"id", "cell", "activation", "outcome", "file", "file_hash"}


def _parse(column: str, text: str) -> Any:
    if column in _TEXT_COLUMNS:
        return text
    if text == "":
        return None
    if column in _BOOL_COLUMNS:
        if text not in ("0", "1"):
            raise ValueError(f"column '{column}' must be 0 or 1, found {text!r}")
        return text == "1"
    if column in _INT_COLUMNS:
        return int(text)
    return float(text)


class Population:
    """The networks of one sweep directory: manifest records, a numpy table, lazy networks."""

    def __init__(self, directory: str | os.PathLike[str]):
        self.directory = os.fspath(directory)
        from . import _core

        path = os.path.join(self.directory, "manifest.csv")
        if not os.path.isfile(path):
            raise OSError(f"cannot read population '{self.directory}': no manifest.csv; "
                          "give a directory written by `rnnatlas sweep`")
        _core.read_manifest(self.directory)  # the CLI's checks: raises OSError naming the line
        self.snapshot_note: str = _core.population_snapshot_note(self.directory)
        with open(path, newline="") as f:
            reader = csv.DictReader(f)
            columns = list(reader.fieldnames or [])
            if "id" not in columns or "file" not in columns:
                raise OSError(f"{path}: not an rnnatlas manifest (no 'id' or 'file' column)")
            self.records: list[dict[str, Any]] = []
            for line, row in enumerate(reader, start=2):
                try:
                    self.records.append({c: _parse(c, row[c] or "") for c in columns})
                except (ValueError, TypeError) as e:
                    raise OSError(f"{path}:{line}: {e}") from None
        self.columns = columns
        self._by_id = {r["id"]: r for r in self.records}
        self._networks: dict[str, Any] = {}

    @property
    def table(self) -> dict[str, np.ndarray]:
        """Column name -> numpy array over the records (str columns as object arrays)."""
        out: dict[str, np.ndarray] = {}
        for c in self.columns:
            values = [r[c] for r in self.records]
            if c in _TEXT_COLUMNS:
                out[c] = np.array(values, dtype=object)
            elif c in _BOOL_COLUMNS:
                out[c] = np.array([bool(v) for v in values], dtype=bool)
            elif c in _INT_COLUMNS and all(v is not None for v in values):
                out[c] = np.array(values, dtype=np.uint64 if c.endswith("seed") else np.int64)
            else:
                out[c] = np.array([np.nan if v is None else float(v) for v in values])
        return out

    def __len__(self) -> int:
        return len(self.records)

    def ids(self, kept_only: bool = False) -> list[str]:
        return [r["id"] for r in self.records if r.get("kept") or not kept_only]

    def network(self, network_id: str):
        """The trained rnnatlas.Network of `network_id` (loaded on first use, after checking that
        its file is the one the sweep recorded: OSError if it was replaced or changed)."""
        from . import _core, load_network

        if network_id not in self._by_id:
            raise KeyError(f"no network '{network_id}' in {self.directory}")
        record = self._by_id[network_id]
        if not record["file"]:
            raise OSError(f"network '{network_id}' of {self.directory} is not trained yet "
                          f"(outcome {record['outcome']}); rerun `rnnatlas sweep` to finish it")
        if network_id not in self._networks:
            self._networks[network_id] = load_network(
                _core.verified_network_file(self.directory, network_id))
        return self._networks[network_id]

    def kept_networks(self) -> Iterator[tuple[dict[str, Any], Any]]:
        """(record, network) for every kept network, in manifest order."""
        for r in self.records:
            if r.get("kept"):
                yield r, self.network(r["id"])

    def __repr__(self) -> str:
        kept = sum(bool(r.get("kept")) for r in self.records)
        return f"Population('{self.directory}', {len(self)} networks, {kept} kept)"


def load_population(directory: str | os.PathLike[str]) -> Population:
    """The population of a `rnnatlas sweep` directory. Raises OSError naming the problem."""
    return Population(directory)
