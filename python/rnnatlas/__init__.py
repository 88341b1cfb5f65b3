"""rnnatlas: train populations of recurrent networks and analyse their dynamics.

The numerics live in the C++ library; this package re-exports its bindings (``rnnatlas._core``)
and adds keyword-argument conveniences.

Tasks:     make_task, task_names, Task, TrialBatch
Models:    Network
Training:  train, evaluate, TrainOptions, TrainProgress, TrainSummary, EvalMetrics
Files:     Network.save, load_network, load_network_record, save_network, NetworkRecord
Dynamics:  find_fixed_points, linearize, sample_initial_states, find_transitions,
           FixedPointOptions, NewtonOptions, FixedPointResult, FixedPoints, Linearization
Limit cycles: classify_attractors, refine_periodic_orbit, lyapunov_exponents, analyze_curve,
           iterate_map, LimitCycleOptions, ShootingOptions, AttractorResult, Attractor,
           PeriodicOrbit, InvariantCurve, LimitCycle (reached by transitions)
Analysis:  analyze_network (fixed points, eigenvalues, transitions, limit cycles and the task
           analysis of a network), load_dynamics / save_dynamics (dynamics/<id>.h5 of
           `rnnatlas dynamics`), AnalysisOptions, NetworkDynamics, ConditionDynamics
Similarity: rnnatlas.similarity (cca, svcca, pwcca, cka, shape_distance, dsa), distance_matrix, mds,
           cluster_stats, mantel_test
Populations: load_population (a `rnnatlas sweep` directory), Population
Pipeline files: load_distances (similarity/<metric>.h5), load_embedding
           (similarity/<metric>.embedding.h5)
Errors:    InvalidArgument (a ValueError), IoError (an OSError)
PyTorch:   rnnatlas.torch (to_torch, from_torch), imported on its own since it imports torch
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

from ._core import (
    AnalysisOptions,
    ConditionDynamics,
    ContextIntegrationAnalysis,
    ContinuousAttractor,
    DYNAMICS_FILE_FORMAT_VERSION,
    ExampleTrajectories,
    FlipFlopAnalysis,
    LimitCycle,
    NetworkDynamics,
    SineWaveAnalysis,
    TopologySignature,
    Attractor,
    AttractorResult,
    InvariantCurve,
    LimitCycleOptions,
    PeriodicOrbit,
    ShootingOptions,
    analyze_curve,
    iterate_map,
    NETWORK_FILE_FORMAT_VERSION,
    ClassicalMdsResult,
    ClusterStats,
    EvalMetrics,
    FixedPointOptions,
    FixedPointResult,
    FixedPoints,
    FixedPointSummary,
    Linearization,
    MantelResult,
    NewtonOptions,
    SmacofSummary,
    TransitionGraph,
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
from . import _core, similarity
from .population import Population, load_population
from ._arrays import real as _real
from ._options import fill as _fill

__all__ = [
    "AnalysisOptions",
    "ConditionDynamics",
    "ContextIntegrationAnalysis",
    "ContinuousAttractor",
    "DYNAMICS_FILE_FORMAT_VERSION",
    "ExampleTrajectories",
    "FlipFlopAnalysis",
    "LimitCycle",
    "NetworkDynamics",
    "SineWaveAnalysis",
    "TopologySignature",
    "analyze_network",
    "load_dynamics",
    "save_dynamics",
    "Attractor",
    "AttractorResult",
    "InvariantCurve",
    "LimitCycleOptions",
    "PeriodicOrbit",
    "ShootingOptions",
    "analyze_curve",
    "classify_attractors",
    "iterate_map",
    "lyapunov_exponents",
    "refine_periodic_orbit",
    "NETWORK_FILE_FORMAT_VERSION",
    "ClassicalMdsResult",
    "ClusterStats",
    "EvalMetrics",
    "FixedPointOptions",
    "FixedPointResult",
    "FixedPointSummary",
    "FixedPoints",
    "Linearization",
    "MantelResult",
    "NewtonOptions",
    "SmacofSummary",
    "TransitionGraph",
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
    "cluster_stats",
    "distance_matrix",
    "evaluate",
    "find_fixed_points",
    "find_transitions",
    "linearize",
    "load_distances",
    "load_population",
    "Population",
    "load_embedding",
    "load_network",
    "load_network_record",
    "make_task",
    "mantel_test",
    "mds",
    "sample_initial_states",
    "save_network",
    "similarity",
    "task_names",
    "train",
    "train_options",
]

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
    return _fill(TrainOptions(), "training", options)


def train(
    network: Network,
    task: Task,
    progress: Union[None, bool, Callable[[TrainProgress], None]] = None,
    **options: Any,
) -> TrainSummary:
    """Trains ``network`` in place on fresh trials of ``task`` and returns a TrainSummary.

    ``options`` are TrainOptions fields by name (``n_iterations``, ``n_batch``,
    ``learning_rate``, ...). ``progress``: None (the default) prints progress on stderr when
    stderr is a terminal, True always, False never, at most every 0.5 s and at the end; a
    callable ``progress(p: TrainProgress)`` is called instead every ``progress_every``
    iterations and at the end, and an exception it raises stops training and propagates.
    Training runs without the GIL (progress reports take it back). The network keeps the record
    of this training (task, options, summary), which ``network.save`` writes. Invalid values
    raise ValueError naming the field; divergence is not an error: ``summary.termination ==
    "diverged"``.
    """
    opts = train_options(**options)
    if progress is None:
        progress = _stderr_is_terminal()
    if progress is True:
        line = _ProgressLine(sys.stderr)
        opts.progress = line
        try:
            return _core.train(opts, task, network, _PROGRESS_INTERVAL)
        finally:
            line.finish()
    if progress is not False:
        if not callable(progress):
            raise TypeError(
                f"train: progress = {progress!r}; expected None, True, False or a callable"
            )
        opts.progress = progress
    return _core.train(opts, task, network)


_PROGRESS_INTERVAL = 0.5  # seconds between progress lines of train(progress=True)


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # replaced or closed stderr
        return False


class _ProgressLine:
    """Writes a TrainProgress as one line to ``stream``, rewritten in place on a terminal."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.terminal = _stderr_is_terminal() and stream is sys.stderr
        self.written = False

    def __call__(self, p: TrainProgress) -> None:
        line = (f"train: iteration {p.iteration}/{p.n_iterations}  loss {p.loss:.4e}  "
                f"lr {p.learning_rate:.3g}  {p.seconds:.1f} s")
        self.stream.write(("\r\033[K" + line) if self.terminal else line + "\n")
        self.stream.flush()
        self.written = True

    def finish(self) -> None:
        if self.terminal and self.written:
            self.stream.write("\n")
            self.stream.flush()


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
    """The network stored in an rnnatlas network file (OSError naming the path on failure). It
    carries the file's init seed and training record, so ``network.save`` writes them again."""
    return _core.load_network(path)


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
    init_seed: Optional[int] = None,
) -> None:
    """Writes ``network`` to an HDF5 network file at ``path``, atomically (OSError naming the
    path on failure), with its own record (``network.record()``: init seed, and the task,
    options and summary of its rnnatlas.train) in which any of ``task``, ``options``,
    ``summary`` and ``init_seed`` given here replace the network's own.

    The file states only what happened: a trained summary needs the task and the options that
    produced it (given, or the network's own), training options need a trained summary, and the
    summary cannot report more iterations than the options ask for; otherwise ValueError.
    """
    record = network.record()
    own_options = record.summary.termination != "not_run"
    if task is not None:
        record.task_name = task.name
        record.task_params = task.params()
    if summary is not None:
        record.summary = summary
    if options is not None:
        record.train_options = options
    if init_seed is not None:
        record.init_seed = init_seed
    trained = record.summary.termination != "not_run"
    if trained and options is None and not own_options:
        raise ValueError(
            "save_network: summary= reports a training but no options= say how it was run, and "
            "the network has no training record of its own; pass options=, the TrainOptions "
            "given to train()"
        )
    if trained and not record.task_name:
        raise ValueError("save_network: summary= reports a training but no task= says on what; "
                         "pass task=, the Task it was trained on")
    if not trained and options is not None:
        raise ValueError(
            "save_network: options= given for a network that was never trained (no trained "
            "summary); the file would state training that did not happen. Pass summary= too, "
            "or no options="
        )
    if trained and record.summary.n_iterations_done > record.train_options.n_iterations:
        raise ValueError(
            f"save_network: the summary reports {record.summary.n_iterations_done} iterations "
            f"but the options ask for {record.train_options.n_iterations}; pass the options "
            f"that produced the summary"
        )
    _core.save_network_file(path, record)


# ---- dynamics ----------------------------------------------------------------------------------


def find_fixed_points(
    network: Network,
    initial_states: npt.ArrayLike,
    input: Optional[npt.ArrayLike] = None,
    **options: Any,
) -> FixedPointResult:
    """Fixed and slow points of s -> F(s, input) from each row of ``initial_states``
    [n_init, n_state]; ``input`` [n_input] defaults to zeros.

    ``options`` are FixedPointOptions fields by name (``tol_q``, ``max_iters``, ``tol_unique``,
    ...); ``newton`` takes a NewtonOptions or a dict of its fields. Returns ``result.points``
    (FixedPoints: ``states`` [n_points, n_state], ``q``, ``is_slow``, ``stop``, ...) sorted by q,
    and ``result.summary`` (counts, ``brief_report()``). Runs without the GIL. Non-convergence is
    reported in the summary; invalid shapes, values or options raise ValueError.
    """
    if input is None:
        input = np.zeros(network.n_input)
    opts = _fill(FixedPointOptions(), "fixed-point", options)
    return _core.find_fixed_points(opts, network, initial_states, input)


def linearize(
    network: Network,
    point: Union[FixedPoints, npt.ArrayLike],
    input: Optional[npt.ArrayLike] = None,
    n_threads: int = 1,
    **options: Any,
) -> Union[Linearization, list[Linearization]]:
    """The linearization (J, B, eigenvalues sorted by modulus, right/left eigenvectors, n_unstable,
    ``stability`` 'stable'/'marginal'/'saddle'/'unstable', frequencies()) of the network at a
    state [n_state] and ``input`` [n_input] (zeros by default), or a list of them, one per point,
    when ``point`` is a FixedPoints (its own input is used; ``n_threads`` points are linearized at
    once). ``options``: stability_tol, compute_eigenvectors."""
    opts = _fill(_core.LinearizationOptions(), "linearization", options)
    if isinstance(point, FixedPoints):
        if input is not None:
            raise TypeError("linearize: pass no input with FixedPoints (their own input is used)")
        return _core.linearize(opts, network, point, n_threads)
    if input is None:
        input = np.zeros(network.n_input)
    return _core.linearize(opts, network, _real(point, "linearize: point"), input)


def sample_initial_states(
    network_or_pool: Union[Network, npt.ArrayLike],
    task: Optional[Task] = None,
    **options: Any,
) -> np.ndarray:
    """Initial states for find_fixed_points, [n_states, n_state]: states visited by a network on
    ``task`` trials (``sample_initial_states(net, task, ...)``) or rows of a given pool
    [n_pool, n_state] (``sample_initial_states(pool, ...)``), drawn with replacement, plus
    ``noise_scale`` * N(0, 1). ``options``: n_states, n_trials, noise_scale, seed."""
    opts = _fill(_core.InitialStateOptions(), "initial-state", options)
    if isinstance(network_or_pool, Network):
        if task is None:
            raise TypeError("sample_initial_states: a network needs a task")
        return _core.sample_initial_states(opts, network_or_pool, task)
    if task is not None:
        raise TypeError("sample_initial_states: pass a task only with a network")
    return _core.sample_initial_states(opts, network_or_pool)


def find_transitions(
    network: Network,
    points: FixedPoints,
    linearizations: Optional[Sequence[Linearization]] = None,
    n_threads: int = 1,
    **options: Any,
) -> TransitionGraph:
    """Where the unstable manifolds of ``points`` lead: a TransitionGraph whose ``weights[i, j]``
    counts perturbed runs from point i that settled at point j, and whose ``cycles`` (LimitCycle:
    kind, period, frequency, stability, multipliers, ...) and ``cycle_weights[i, c]`` record the
    limit cycles that runs still moving after max_steps were found on. ``linearizations`` default
    to ``linearize(network, points)``. ``options``: perturbation, max_steps, tol_settled,
    tol_match, find_limit_cycles, limit_cycles (a LimitCycleOptions or a dict of its fields). The
    runs still moving are examined on ``n_threads`` threads; the result does not depend on it."""
    if linearizations is None:
        linearizations = linearize(network, points)
    opts = _fill(_core.TransitionOptions(), "transition", options)
    return _core.find_transitions(opts, network, points, list(linearizations), n_threads)


# ---- the analysis of a network and dynamics files ----------------------------------------------


def analyze_network(network: Network, task: Task, n_threads: int = 1,
                    **options: Any) -> NetworkDynamics:
    """The dynamics analysis of ``network`` trained on ``task`` (flip_flop, sine_wave or
    context_integration), as ``rnnatlas dynamics`` computes it (docs/dynamics.md).

    ``options`` are AnalysisOptions fields by name (``n_initial_states``, ``noise_scale``,
    ``n_trials``, ``seed``, ``input_stride``, ``capture_fraction``, ...); the nested
    ``fixed_points`` (FixedPointOptions), ``linearization`` (LinearizationOptions) and
    ``transitions`` (TransitionOptions, with ``limit_cycles``) take an options object or a dict of
    their fields, e.g. ``transitions={"max_steps": 1000, "limit_cycles": {"n_record": 2000}}``.
    The defaults are the paper's (slow for large networks; docs/dynamics.md lists costs).

    Returns a NetworkDynamics: ``conditions`` (one ConditionDynamics per constant input, with
    ``states`` [n_points, n_state], ``q``, ``is_slow``, ``eigenvalues`` [n_points, n_state],
    ``n_unstable``, ``stability``, ``leading_frequency``, ``readout``, ``transitions``
    [n_points, n_points], ``limit_cycles`` and ``cycle_transitions`` [n_points, n_cycles]),
    ``trajectories``, the task analysis ``flip_flop`` / ``sine_wave`` / ``context_integration``
    (the others are None) and ``topology``. Runs without the GIL on ``n_threads`` threads; the
    result does not depend on it. Invalid options or a network that does not fit the task raise ValueError.
    """
    opts = _fill(AnalysisOptions(), "analysis", options)
    return _core.analyze_network(opts, network, task, n_threads)


def load_dynamics(path: str | os.PathLike[str]) -> NetworkDynamics:
    """The dynamics file written by ``rnnatlas dynamics`` (``DIR/dynamics/<id>.h5``, or
    ``FILE.dynamics.h5`` for one network) as the NetworkDynamics that analyze_network() returns:
    the same numbers, bit for bit (``seconds`` is 0). Files written before limit cycles were
    sought read with ``options.transitions.find_limit_cycles == False`` and no cycles. The file is
    validated (OSError naming the path and the problem)."""
    return _core.load_dynamics_file(path)


def save_dynamics(path: str | os.PathLike[str], dynamics: NetworkDynamics) -> None:
    """Writes ``dynamics`` (from analyze_network or load_dynamics; set ``network_id`` and
    ``network_file`` first if they matter) as a dynamics file at ``path``, atomically (OSError
    naming the path on failure)."""
    _core.save_dynamics_file(path, dynamics)


# ---- limit cycles ------------------------------------------------------------------------------


def classify_attractors(
    network: Network,
    initial_states: npt.ArrayLike,
    input: Optional[npt.ArrayLike] = None,
    n_threads: int = 1,
    **options: Any,
) -> AttractorResult:
    """Where the autonomous dynamics s -> F(s, input) go from each row of ``initial_states``
    [n_init, n_state]: a fixed point, a periodic orbit (refined by Newton shooting, with Floquet
    multipliers), an invariant curve (frequency in rad/step, Lyapunov exponents), chaos, unresolved
    or diverged. ``input`` [n_input] defaults to zeros.

    ``options`` are LimitCycleOptions fields by name (``n_transient``, ``n_record``,
    ``max_period``, ``n_lyapunov``, ...); ``shooting`` takes a ShootingOptions or a
    dict of its fields. Returns an AttractorResult: ``runs`` (one Attractor each, with ``kind``,
    ``message``, ``orbit``, ``curve``, ``lyapunov_exponents``, ``same_as``), ``kinds``, ``counts``,
    ``n_unique``. Runs without the GIL, the runs analysed on ``n_threads`` threads (the result
    does not depend on it); invalid shapes or options raise ValueError.
    """
    if input is None:
        input = np.zeros(network.n_input)
    opts = _fill(LimitCycleOptions(), "limit-cycle", options)
    return _core.classify_attractors(opts, network, initial_states, input, n_threads)


def refine_periodic_orbit(
    network: Network,
    state: npt.ArrayLike,
    period: int,
    input: Optional[npt.ArrayLike] = None,
    **options: Any,
) -> PeriodicOrbit:
    """Newton shooting on F^period(s) - s from ``state`` [n_state] (``input`` defaults to zeros):
    the PeriodicOrbit with ``points`` [P, n_state], ``residual``, ``converged``,
    ``residual_history``, ``monodromy``, ``multipliers``, ``stability``, ``frequency``,
    ``amplitude``. ``options`` are ShootingOptions fields (``tol_residual``, ``stability_tol``,
    ``newton`` as a NewtonOptions or dict)."""
    if input is None:
        input = np.zeros(network.n_input)
    opts = _fill(ShootingOptions(), "shooting", options)
    return _core.refine_periodic_orbit(opts, network, _real(state, "refine_periodic_orbit: state"), input,
                                       period)


def lyapunov_exponents(
    network: Network,
    state: npt.ArrayLike,
    n_steps: int,
    n_exponents: Optional[int] = None,
    input: Optional[npt.ArrayLike] = None,
    n_transient: int = 0,
) -> np.ndarray:
    """The ``n_exponents`` (default: all) leading Lyapunov exponents per step, descending, of the
    trajectory of ``n_steps`` steps from ``state`` after ``n_transient`` discarded steps (QR
    method; O(1/n_steps) bias). ``input`` defaults to zeros."""
    if input is None:
        input = np.zeros(network.n_input)
    if n_exponents is None:
        n_exponents = network.n_state
    return _core.lyapunov_exponents(network, _real(state, "lyapunov_exponents: state"), input, n_steps,
                                    n_exponents, n_transient)


# ---- similarity of populations -----------------------------------------------------------------

_METRIC_OPTIONS = {
    "cca": "cca", "pwcca": "cca", "svcca": "svcca", "cka": "cka", "shape": "shape", "dsa": "dsa"
}


def distance_matrix(
    activities: Sequence[npt.ArrayLike],
    metric: str = "svcca",
    n_threads: int = 1,
    **metric_options: Any,
) -> np.ndarray:
    """The [N, N] distance matrix between N activities [n_samples, n_units_i] (same n_samples).

    ``metric``: "cca", "svcca", "pwcca", "cka", "shape" (distance = 1 - similarity, except
    shape) or "dsa" (dynamics; activities [n_trials, n_steps, n_units], or 2-D with
    ``n_steps``, see rnnatlas.similarity.dsa); ``metric_options`` are that metric's options (e.g.
    ``k=20`` for svcca, ``kernel="rbf"`` for cka, ``alpha=0.5`` for shape, ``rank=20`` for dsa).
    Symmetric with a zero diagonal and the same for any ``n_threads``; runs without the GIL.
    """
    opts = _core.DistanceMatrixOptions()
    opts.metric = metric
    field = _METRIC_OPTIONS[opts.metric]
    arrays = [_real(a, f"distance_matrix: activities[{i}]") for i, a in enumerate(activities)]
    if opts.metric == "dsa":
        metric_options = dict(metric_options)
        n_steps = metric_options.pop("n_steps", None)
        rows = [similarity.trial_rows(a, n_steps) for a in arrays]
        steps = sorted({s for _, s in rows})
        if len(steps) > 1:
            raise ValueError(
                f"distance_matrix: dsa activities have different steps per trial {steps}"
            )
        arrays = [r for r, _ in rows]
        metric_options["n_steps"] = steps[0] if steps else 0
    _fill(getattr(opts, field), f"{opts.metric}", metric_options)
    return _core.distance_matrix(opts, arrays, n_threads)


def mds(
    distances: npt.ArrayLike,
    n_components: int = 2,
    method: str = "classical",
    **options: Any,
) -> Union[ClassicalMdsResult, SmacofSummary]:
    """An embedding of a distance matrix [n, n]; ``result.coordinates`` is [n, n_components].

    ``method="classical"``: Torgerson MDS (ClassicalMdsResult, with all ``eigenvalues``).
    ``method="smacof"``: metric MDS by stress majorization (SmacofSummary, with ``stress``,
    ``normalized_stress``); ``options``: n_starts, classical_start, max_iterations, tolerance,
    seed.
    """
    if method == "classical":
        if options:
            raise TypeError(f"mds: method 'classical' takes no options, got {sorted(options)}")
        return _core.classical_mds(_real(distances, "mds: distances"), n_components)
    if method == "smacof":
        opts = _fill(_core.SmacofOptions(), "smacof", dict(options, n_components=n_components))
        return _core.smacof(opts, _real(distances, "mds: distances"))
    raise ValueError(f"mds: method = {method!r}; allowed: 'classical', 'smacof'")


def _integer_labels(labels: Sequence[Any]) -> list[int]:
    """Any hashable labels (strings, ints) as integer codes; only equality matters."""
    return [int(i) for i in np.unique(np.asarray(labels), return_inverse=True)[1]]


def cluster_stats(distances: npt.ArrayLike, labels: Sequence[Any], n_threads: int = 1,
                  **options: Any) -> ClusterStats:
    """How well ``labels`` [n] (any values, e.g. architecture names) cluster in ``distances``
    [n, n]: silhouette and leave-one-out k-NN accuracy, each with a one-sided label-permutation
    p-value, the permutations on ``n_threads`` threads. ``options``: k (5), n_permutations (999),
    seed."""
    opts = _fill(_core.ClusterStatsOptions(), "cluster-stats", options)
    return _core.cluster_stats(opts, _real(distances, "cluster_stats: distances"),
                              _integer_labels(labels), n_threads)


def mantel_test(a: npt.ArrayLike, b: npt.ArrayLike, **options: Any) -> MantelResult:
    """Mantel test between two distance matrices [n, n]: Pearson ``r`` of the upper triangles and
    a one-sided permutation ``p_value``. ``options``: n_permutations (999), seed."""
    opts = _fill(_core.MantelOptions(), "mantel", options)
    return _core.mantel_test(opts, _real(a, "mantel_test: a"), _real(b, "mantel_test: b"))


# ---- pipeline files ----------------------------------------------------------------------------


def load_distances(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The distance file written by ``rnnatlas compare`` (DIR/similarity/<metric>.h5) as a dict:
    ``metric`` (str), ``params`` (dict), ``network_ids`` (list of N str, the row order),
    ``distances`` (float64 [N, N]), ``labels`` (dict of [N] arrays: ``cell``, ``activation`` (str),
    ``n_hidden``, ``seed`` (int64), ``l2``, ``learning_rate`` (float64)), ``library_version`` and
    ``created``. The file is validated (IoError naming the path and the problem)."""
    f = _core.load_distance_file(os.fspath(path))
    labels = f.labels
    return {
        "metric": f.metric,
        "params": dict(f.params),
        "network_ids": list(f.network_ids),
        "distances": np.asarray(f.distances),
        "labels": {
            "cell": np.asarray(labels.cell, dtype=str),
            "activation": np.asarray(labels.activation, dtype=str),
            "n_hidden": np.asarray(labels.n_hidden, dtype=np.int64),
            "l2": np.asarray(labels.l2, dtype=np.float64),
            "learning_rate": np.asarray(labels.learning_rate, dtype=np.float64),
            "seed": np.asarray(labels.seed, dtype=np.int64),
        },
        "library_version": f.library_version,
        "created": f.created,
    }


def load_embedding(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The embedding file written by ``rnnatlas embed`` (DIR/similarity/<metric>.embedding.h5) as a
    dict: ``metric``, ``network_ids`` (list of N str), ``classical`` and ``smacof`` (float64
    [N, 2]), ``classical_eigenvalues`` (float64 [N]), ``stress``, ``normalized_stress``,
    ``cluster`` ({label: {silhouette, silhouette_p_value, knn_accuracy, knn_p_value,
    majority_accuracy, k, n_permutations, n_groups}} for the labels cell, activation, n_hidden, l2
    that split the networks into 2 to N - 1 groups), ``options``, ``library_version`` and
    ``created``. The file is validated (IoError naming the path and the problem)."""
    f = _core.load_embedding_file(os.fspath(path))
    cluster = {}
    for c in f.clusters:
        s = c.stats
        cluster[c.label] = {
            "silhouette": s.silhouette,
            "silhouette_p_value": s.silhouette_p_value,
            "knn_accuracy": s.knn_accuracy,
            "knn_p_value": s.knn_p_value,
            "majority_accuracy": s.majority_accuracy,
            "k": c.k,
            "n_permutations": s.n_permutations,
            "n_groups": c.n_groups,
        }
    return {
        "metric": f.metric,
        "network_ids": list(f.network_ids),
        "classical": np.asarray(f.classical),
        "classical_eigenvalues": np.asarray(f.classical_eigenvalues),
        "smacof": np.asarray(f.smacof),
        "stress": f.stress,
        "normalized_stress": f.normalized_stress,
        "cluster": cluster,
        "options": dict(f.options),
        "library_version": f.library_version,
        "created": f.created,
    }


def __dir__() -> list[str]:
    """The public names (__all__), not the modules and typing names used inside the package."""
    return sorted(__all__)
