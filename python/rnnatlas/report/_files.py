"""Reading a task directory of a pipeline run (docs/pipeline.md), and writing files atomically.

Every reader tolerates what a partial run leaves: a missing file or directory is a stage that has
not run (``None`` plus a reason), a file that cannot be read is skipped with a warning. Nothing
here raises for the contents of OUT; only programming errors do.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import pathlib
from typing import Any, Callable, Optional

import numpy as np

EMBEDDING_SUFFIX = ".embedding.h5"

_temp_counter = itertools.count()


# ---- atomic writes -----------------------------------------------------------------------------


def temp_path(path: pathlib.Path) -> pathlib.Path:
    """The temporary name a write of ``path`` goes through (same directory, so rename is atomic);
    the same ``<name>.tmp-<pid>-<n>`` pattern as the C++ stages."""
    return path.with_name(f"{path.name}.tmp-{os.getpid()}-{next(_temp_counter)}")


def write_atomically(path: pathlib.Path, data: bytes) -> None:
    """Writes ``data`` to ``path`` through a temporary file, fsync and os.replace: readers see the
    old file or the new one, never a part. The temporary file is removed on failure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(path)
    try:
        with open(temp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def remove_stale_temporaries(directory: pathlib.Path) -> None:
    """Removes temporary files that a killed report run left in ``directory``."""
    if directory.is_dir():
        for path in directory.glob("*.tmp-*"):
            path.unlink(missing_ok=True)


# ---- CSV files ---------------------------------------------------------------------------------


@dataclasses.dataclass
class PopulationGroup:
    """One line of the population table: the networks of one cell x activation."""

    cell: str
    activation: str
    networks: int
    trained: int
    kept: int
    diverged: int
    median_normalized_mse: float


def population_of(directory: pathlib.Path) -> list[PopulationGroup]:
    """The table of `rnnatlas summary`, computed now from the manifest by the library's own
    reader (never from summary.csv, which may be older than the manifest)."""
    from .. import _core

    return [
        PopulationGroup(
            cell=g["cell"],
            activation=g["activation"],
            networks=int(g["networks"]),
            trained=int(g["trained"]),
            kept=int(g["kept"]),
            diverged=int(g["diverged"]),
            median_normalized_mse=float(g["median_normalized_mse"]),
        )
        for g in _core.summarize_population(str(directory))
    ]


# ---- dynamics files ----------------------------------------------------------------------------


@dataclasses.dataclass
class Dynamics:
    """The small parts of one dynamics file: everything the population numbers need. Large arrays
    (trajectories, fixed-point states) are read on demand with ``read_trajectories`` and
    ``read_fixed_points``."""

    path: pathlib.Path
    network_id: str
    network_hash: str  # content hash of the network file it was made from; "" in older files
    cell: str
    activation: str
    n_hidden: int
    n_state: int
    n_output: int
    n_conditions: int
    stability: list[np.ndarray]  # per condition [n_points] int
    n_unstable: list[np.ndarray]  # per condition [n_points] int
    is_slow: list[np.ndarray]  # per condition [n_points] bool
    # The task analysis (the names of the file's /analysis entries), None if the file has none.
    analysis: Optional[dict[str, Any]]
    has_trajectories: bool


# The StabilityClass names, in the order of the codes of a dynamics file (0 = stable, ...).
STABILITY_NAMES = ("stable", "marginal", "saddle", "unstable")


def _stability_codes(names: list[str]) -> np.ndarray:
    return np.asarray([STABILITY_NAMES.index(name) for name in names], dtype=np.int64)


def read_dynamics(path: pathlib.Path) -> Dynamics:
    """Reads one dynamics file with the library's reader (load_dynamics_file), which checks it
    (OSError if it is not a readable one)."""
    from .. import _core

    d = _core.load_dynamics_file(str(path))
    task_analysis = next((a for a in (d.flip_flop, d.sine_wave, d.context_integration)
                          if a is not None), None)
    analysis = None
    if task_analysis is not None:
        # The typed analysis as {name: value}: the names of the file's /analysis entries.
        analysis = {name: getattr(task_analysis, name) for name in dir(task_analysis)
                    if not name.startswith("_")}
        analysis["task"] = d.task
    return Dynamics(
        path=path,
        network_id=d.network_id or path.stem,
        network_hash=d.network_hash,
        cell=d.cell,
        activation=d.activation,
        n_hidden=d.n_hidden,
        n_state=d.n_state,
        n_output=d.n_output,
        n_conditions=len(d.conditions),
        stability=[_stability_codes(c.stability) for c in d.conditions],
        n_unstable=[np.asarray(c.n_unstable, dtype=np.int64).reshape(-1) for c in d.conditions],
        is_slow=[np.asarray(c.is_slow).astype(bool).reshape(-1) for c in d.conditions],
        analysis=analysis,
        has_trajectories=d.trajectories.n_trials > 0,
    )


@dataclasses.dataclass
class Trajectories:
    inputs: np.ndarray  # [n_trials, n_time, n_input]
    targets: np.ndarray  # [n_trials, n_time, n_output]
    outputs: np.ndarray  # [n_trials, n_time, n_output]
    states: np.ndarray  # [n_trials, n_time, n_state]


def read_trajectories(path: pathlib.Path) -> Trajectories:
    from .. import _core

    t = _core.load_dynamics_file(str(path)).trajectories
    return Trajectories(*(np.asarray(getattr(t, name), dtype=np.float64)
                          for name in ("inputs", "targets", "outputs", "states")))


@dataclasses.dataclass
class ConditionPoints:
    label: str
    states: np.ndarray  # [n_points, n_state]
    n_unstable: np.ndarray  # [n_points]
    stability: np.ndarray  # [n_points]


def read_fixed_points(path: pathlib.Path) -> list[ConditionPoints]:
    """The fixed points of every condition of one dynamics file."""
    from .. import _core

    d = _core.load_dynamics_file(str(path))
    return [
        ConditionPoints(
            label=c.label,
            states=np.asarray(c.states, dtype=np.float64).reshape(-1, d.n_state),
            n_unstable=np.asarray(c.n_unstable, dtype=np.int64).reshape(-1),
            stability=_stability_codes(c.stability),
        )
        for c in d.conditions
    ]


# ---- similarity files --------------------------------------------------------------------------


@dataclasses.dataclass
class Distances:
    metric: str
    network_ids: list[str]
    distances: np.ndarray  # [N, N]
    labels: dict[str, list[Any]]  # cell, activation, n_hidden, ... -> [N]


def read_distances(path: pathlib.Path) -> Distances:
    """One distance file, through the library's reader (what `rnnatlas embed` reads)."""
    from .. import _core

    file = _core.load_distance_file(str(path))
    ids = list(file.network_ids)
    labels = {name: list(getattr(file.labels, name))
              for name in ("cell", "activation", "n_hidden", "l2", "learning_rate", "seed")}
    return Distances(
        metric=file.metric,
        network_ids=ids,
        distances=np.asarray(file.distances, dtype=np.float64).reshape(len(ids), len(ids)),
        labels={name: values for name, values in labels.items() if len(values) == len(ids)},
    )


@dataclasses.dataclass
class Embedding:
    metric: str
    network_ids: list[str]
    coordinates: np.ndarray  # [N, 2]: metric MDS (smacof) if present, else classical
    method: str  # "smacof" or "classical"
    normalized_stress: float
    clusters: dict[str, dict[str, float]]  # label -> silhouette, knn_accuracy, p-values, ...


def read_embedding(path: pathlib.Path) -> Embedding:
    """One embedding file, through the library's reader."""
    from .. import _core

    file = _core.load_embedding_file(str(path))
    ids = list(file.network_ids)
    smacof = np.asarray(file.smacof, dtype=np.float64)
    method = "smacof" if smacof.size else "classical"
    coordinates = smacof if smacof.size else np.asarray(file.classical, dtype=np.float64)
    clusters = {}
    for c in file.clusters:
        s = c.stats
        clusters[c.label] = {
            "silhouette": s.silhouette, "silhouette_p_value": s.silhouette_p_value,
            "knn_accuracy": s.knn_accuracy, "knn_p_value": s.knn_p_value,
            "majority_accuracy": s.majority_accuracy, "k": float(c.k),
            "n_permutations": float(s.n_permutations), "n_groups": float(c.n_groups),
        }
    return Embedding(
        metric=file.metric,
        network_ids=ids,
        coordinates=coordinates.reshape(len(ids), -1),
        method=method,
        normalized_stress=float(file.normalized_stress),
        clusters=clusters,
    )


# ---- a whole task directory --------------------------------------------------------------------


@dataclasses.dataclass
class TaskData:
    """What the stages of one task have written; ``None`` (or empty) for a stage not run."""

    name: str
    directory: pathlib.Path
    population: Optional[list[PopulationGroup]] = None
    population_source: str = ""
    dynamics: list[Dynamics] = dataclasses.field(default_factory=list)
    distances: dict[str, Distances] = dataclasses.field(default_factory=dict)
    embeddings: dict[str, Embedding] = dataclasses.field(default_factory=dict)
    stages: dict[str, str] = dataclasses.field(default_factory=dict)  # stage -> status text
    warnings: list[str] = dataclasses.field(default_factory=list)


def _relative(path: pathlib.Path, root: pathlib.Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def read_task(directory: pathlib.Path) -> TaskData:
    """Everything the report needs from OUT/<task>; missing stages are recorded in ``stages``."""
    data = TaskData(name=directory.name, directory=directory)
    root = directory.parent

    def load(path: pathlib.Path, reader):
        try:
            return reader(path)
        except (OSError, KeyError, ValueError, TypeError) as error:
            data.warnings.append(f"{_relative(path, root)}: skipped, unreadable ({error})")
            return None

    from .. import _core

    # The manifest is read by the library, as every CLI stage reads it: a population the stages
    # refuse is refused here too, and nothing derived from it is used.
    manifest = directory / "manifest.csv"
    rows = None
    if manifest.is_file():
        try:
            rows = _core.read_manifest(str(directory))
        except OSError as error:
            data.warnings.append(f"{_relative(manifest, root)}: refused ({error}); the report uses "
                                 "nothing derived from this population")
            return _refused(data)
    data.stages["sweep"] = f"{len(rows)} networks in manifest.csv" if rows is not None else "not run"
    if rows is None:
        return data
    data.population = population_of(directory)
    data.population_source = "manifest.csv"
    note = _core.population_snapshot_note(str(directory))
    if note:
        data.warnings.append(note[0].upper() + note[1:])
    kept = {row["id"]: row for row in rows if row["kept"]}
    verified = _verify_network_files(directory, kept, data, root)
    if verified is None:
        return _refused(data)

    dynamics_dir = directory / "dynamics"
    paths = sorted(dynamics_dir.glob("*.h5")) if dynamics_dir.is_dir() else []
    dynamics = [d for d in (load(p, read_dynamics) for p in paths) if d is not None]
    data.dynamics = [d for d in dynamics if _current_dynamics(d, kept, verified, data, root)]
    data.stages["dynamics"] = f"{len(data.dynamics)} files" if data.dynamics else "not run"

    similarity_dir = directory / "similarity"
    if similarity_dir.is_dir():
        paths = sorted(similarity_dir.glob("*.h5"))
        embeddings = [p for p in paths if p.name.endswith(EMBEDDING_SUFFIX)]
        for path in (p for p in paths if p not in embeddings):
            distances = load(path, read_distances)
            if distances is not None and _current(
                    path, lambda: _core.distance_file_staleness(str(directory), str(path)),
                    f"rnnatlas compare {directory} --metric {path.stem}", verified, data, root):
                data.distances[path.stem] = distances
        # An embedding is current when its distance file is, and was computed from it as it is.
        for path in embeddings:
            name = path.name[: -len(EMBEDDING_SUFFIX)]
            embedding = load(path, read_embedding)

            def staleness(name: str = name) -> str:
                if verified and name not in data.distances:
                    return f"its distance file similarity/{name}.h5 is out of date or unreadable"
                return _core.embedding_staleness(str(directory), name)

            if embedding is not None and _current(
                    path, staleness, f"rnnatlas embed {directory} --metric {name}", verified, data,
                    root):
                data.embeddings[name] = embedding
    data.stages["similarity"] = ", ".join(sorted(data.distances)) or "not run"
    data.stages["embedding"] = ", ".join(sorted(data.embeddings)) or "not run"
    return data


def _verify_network_files(directory: pathlib.Path, kept: dict[str, dict[str, Any]],
                          data: TaskData, root: pathlib.Path) -> Optional[bool]:
    """True when every kept network file has the content hash the manifest recorded, False when
    the manifest records none (written by an older rnnatlas: the derived files are used with a
    warning), None when a file was replaced or changed (a warning; nothing derived is used)."""
    from .. import _core

    if any(not row["file_hash"] for row in kept.values()):
        data.warnings.append(
            f"{_relative(directory / 'manifest.csv', root)} records no content hashes (an older "
            f"rnnatlas wrote it): the derived files cannot be checked against the networks; "
            f"rerun `rnnatlas sweep {directory / 'sweep.toml'} --out {directory}` to add them")
        return False
    try:
        _core.verify_kept_network_files(str(directory))  # one manifest read for all files
    except OSError as error:
        data.warnings.append(f"{error}; the report uses nothing derived from this population")
        return None
    return True


def _current_dynamics(d: Dynamics, kept: dict[str, dict[str, Any]], verified: bool,
                      data: TaskData, root: pathlib.Path) -> bool:
    """Whether dynamics file ``d`` belongs to the population as it is now; a warning if not."""
    where = _relative(d.path, root)
    if d.network_id not in kept:
        data.warnings.append(f"{where}: skipped, network '{d.network_id}' is not a kept network "
                             "of the manifest")
        return False
    if verified and d.network_hash != kept[d.network_id]["file_hash"]:
        data.warnings.append(
            f"{where}: skipped, made from another version of network '{d.network_id}' (hash "
            f"{d.network_hash or 'none'}, the manifest says {kept[d.network_id]['file_hash']}); "
            f"rerun `rnnatlas dynamics {d.path.parent.parent}`")
        return False
    return True


def _current(path: pathlib.Path, staleness: Callable[[], str], command: str, verified: bool,
             data: TaskData, root: pathlib.Path) -> bool:
    """Whether a derived file is current (``staleness()`` returns ""); a warning if not. Not
    checked (True) for a population without content hashes."""
    if not verified:
        return True
    try:
        why = staleness()
    except OSError as error:
        why = str(error)
    if why:
        data.warnings.append(f"{_relative(path, root)}: skipped, out of date ({why}); rerun "
                             f"`{command}`")
        return False
    return True


def _refused(data: TaskData) -> TaskData:
    """``data`` of a population that fails its checks: nothing derived from it is read."""
    data.stages["sweep"] = "refused"
    for stage in ("dynamics", "similarity", "embedding"):
        data.stages[stage] = "not used (population refused)"
    return data
