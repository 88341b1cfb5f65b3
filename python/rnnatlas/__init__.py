"""rnnatlas: train populations of recurrent networks and analyse their dynamics.

The numerics live in the C++ library; this package re-exports its bindings (``rnnatlas._core``)
and adds keyword-argument conveniences.

Tasks:     make_task, task_names, Task, TrialBatch
Models:    Network
Training:  train, evaluate, TrainOptions, TrainProgress, TrainSummary, EvalMetrics
Files:     Network.save, load_network, load_network_record, save_network, NetworkRecord
Errors:    InvalidArgument (a ValueError), IoError (an OSError)
"""
# Module maintainer: rnnatlas python.

from __future__ import annotations

import os
from typing import Any, Callable, Optional

from ._core import (
    NETWORK_FILE_FORMAT_VERSION,
    EvalMetrics,
    InvalidArgument,
    IoError,
    Network,
    NetworkRecord,
    Task,
    TrainOptions,
    TrainProgress,
    TrainSummary,
    TrialBatch,
    __version__,
    task_names,
)
from . import _core

__all__ = [
    "NETWORK_FILE_FORMAT_VERSION",
    "EvalMetrics",
    "InvalidArgument",
    "IoError",
    "Network",
    "NetworkRecord",
    "Task",
    "TrainOptions",
    "TrainProgress",
    "TrainSummary",
    "TrialBatch",
    "__version__",
    "evaluate",
    "load_network",
    "load_network_record",
    "make_task",
    "save_network",
    "task_names",
    "train",
    "train_options",
]

_OPTION_NAMES = tuple(
    name for name in dir(TrainOptions) if not name.startswith("_") and name != "validate"
)


def make_task(name: str, **params: float) -> Task:
    """Builds a task by name, e.g. ``make_task("flip_flop", n_bits=3, n_time=100)``.

    Parameters are the task's option fields; see ``task.params()`` for all of them with their
    values. Unknown names or keys and out-of-range values raise ValueError naming them.
    """
    values = {}
    for key, value in params.items():
        try:
            values[key] = float(value)
        except (TypeError, ValueError) as error:
            raise TypeError(f"task parameter '{key}' = {value!r} is not a number") from error
    return _core.make_task(name, values)


def train_options(**options: Any) -> TrainOptions:
    """A TrainOptions with the given fields set, e.g. ``train_options(learning_rate=1e-2)``.

    An unknown field raises TypeError naming it and listing the known ones; a value of the wrong
    type raises TypeError naming the field. Values are checked (ValueError) by train().
    """
    result = TrainOptions()
    for key, value in options.items():
        if key not in _OPTION_NAMES:
            raise TypeError(
                f"unknown training option '{key}'; allowed: {', '.join(sorted(_OPTION_NAMES))}"
            )
        try:
            setattr(result, key, value)
        except TypeError as error:
            current = type(getattr(result, key)).__name__
            raise TypeError(
                f"training option '{key}' = {value!r} ({type(value).__name__}) is not a valid "
                f"{current}"
            ) from error
    return result


def train(
    network: Network,
    task: Task,
    progress: Optional[Callable[[TrainProgress], None]] = None,
    **options: Any,
) -> TrainSummary:
    """Trains ``network`` in place on fresh trials of ``task`` and returns a TrainSummary.

    ``options`` are TrainOptions fields by name (``n_iterations``, ``n_batch``,
    ``learning_rate``, ...). ``progress(p: TrainProgress)`` is called every ``progress_every``
    iterations and at the end; an exception it raises stops training and propagates. Training runs
    without the GIL (progress calls take it back). Invalid values raise ValueError naming the
    field; divergence is not an error: ``summary.termination == "diverged"``.
    """
    opts = train_options(**options)
    if progress is not None:
        opts.progress = progress
    return _core.train(opts, task, network)


def evaluate(
    network: Network,
    task: Task,
    n_batch: int = 256,
    seed: int = TrainOptions().eval_seed,
) -> EvalMetrics:
    """Held-out metrics (mse, normalized_mse, sign_accuracy) of ``network`` on ``n_batch`` trials
    of stream ``seed``; the default seed is the one train() evaluates on."""
    return _core.evaluate(network, task, n_batch, seed)


def load_network(path: str | os.PathLike[str]) -> Network:
    """The network stored in an rnnatlas network file (OSError naming the path on failure)."""
    return _core.load_network_file(path).network


def load_network_record(path: str | os.PathLike[str]) -> NetworkRecord:
    """Everything in a network file: network, init_seed, task_name, task_params, train_options,
    summary (loss history, eval metrics) and library_version."""
    return _core.load_network_file(path)


def save_network(
    path: str | os.PathLike[str],
    network: Network,
    *,
    task: Optional[Task] = None,
    options: Optional[TrainOptions] = None,
    summary: Optional[TrainSummary] = None,
    init_seed: int = 0,
) -> None:
    """Writes ``network`` with its task, training options, summary and initialisation seed to an
    HDF5 network file at ``path``, atomically (OSError naming the path on failure)."""
    record = NetworkRecord()
    record.network = network
    record.init_seed = init_seed
    if task is not None:
        record.task_name = task.name
        record.task_params = task.params()
    if options is not None:
        record.train_options = options
    if summary is not None:
        record.summary = summary
    _core.save_network_file(path, record)
