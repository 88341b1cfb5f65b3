"""Typed stubs of rnnatlas._core, the C++ bindings that the rnnatlas package re-exports."""

import os
from typing import Any, Callable, Optional, Sequence, Union, overload

import numpy as np
import numpy.typing as npt

__version__: str
NETWORK_FILE_FORMAT_VERSION: int
DYNAMICS_FILE_FORMAT_VERSION: int

_Path = Union[str, os.PathLike[str]]
_Array = npt.ArrayLike
_F64 = npt.NDArray[np.float64]
_C128 = npt.NDArray[np.complex128]
_I32 = npt.NDArray[np.int32]

class InvalidArgument(ValueError):
    """A caller mistake; the message names the value and what is allowed."""

    field: str
    """The path of the option at fault ("fixed_points.max_iters"); "" when not about one option."""

class IoError(OSError):
    """A missing, unreadable, corrupt or unwritable file; the message names the path."""

# ---- tasks -----------------------------------------------------------------------------------

class TrialBatch:
    """A batch of trials. The arrays are views of the batch's own time-major storage."""

    @property
    def n_batch(self) -> int: ...
    @property
    def n_time(self) -> int: ...
    @property
    def n_input(self) -> int: ...
    @property
    def n_output(self) -> int: ...
    @property
    def inputs(self) -> _F64:
        """float64 [n_batch, n_time, n_input]."""
    @property
    def targets(self) -> _F64:
        """float64 [n_batch, n_time, n_output]."""
    @property
    def mask(self) -> _F64:
        """float64 [n_batch, n_time, n_output]; 1 = scored by the loss, 0 = ignored."""

class Task:
    """A trial generator; immutable and thread-safe. Build with make_task."""

    @property
    def name(self) -> str:
        """Canonical name: 'flip_flop', 'sine_wave' or 'context_integration'."""
    @property
    def n_input(self) -> int: ...
    @property
    def n_output(self) -> int: ...
    @property
    def n_time(self) -> int: ...
    @property
    def has_sign_targets(self) -> bool:
        """True when the targets are +1/-1 and sign accuracy is meaningful."""
    def params(self) -> dict[str, float]:
        """Every parameter with its value; make_task(task.name, **task.params()) rebuilds it."""
    def sample(self, n_batch: int, seed: int, n_threads: int = 1) -> TrialBatch:
        """`n_batch` trials of stream `seed`; trial b depends only on (seed, b), so sample(4, s)
        is a prefix of sample(10, s), whatever n_threads."""

def make_task(name: str, params: dict[str, float] = ...) -> Task:
    """Builds a task by name; unknown names or keys and out-of-range values raise ValueError."""

def task_names() -> list[str]:
    """The canonical task names."""

# ---- models ----------------------------------------------------------------------------------

class Network:
    """A recurrent cell ('vanilla', 'ugrnn', 'gru', 'lstm') and a linear readout, in float64.

    Vanilla, GRU and LSTM follow torch.nn.RNN/GRU/LSTM exactly, so state_dict() and
    load_state_dict() exchange weights with PyTorch. The state is h, or [h; c] for LSTM.
    """

    def __init__(
        self,
        cell: str,
        n_input: int,
        n_hidden: int,
        n_output: int,
        activation: str = "tanh",
        seed: int = 0,
    ) -> None:
        """PyTorch's default initialisation drawn from `seed` (kept as init_seed). activation:
        'tanh', 'relu', 'softplus' or 'linear'. Invalid names or sizes raise ValueError."""
    @property
    def cell(self) -> str:
        """'vanilla', 'ugrnn', 'gru' or 'lstm': `--cell` of `rnnatlas train`, `cell` of a grid."""
    @property
    def arch(self) -> str:
        """Deprecated (DeprecationWarning): Network.cell."""
    @property
    def activation(self) -> str: ...
    @property
    def n_input(self) -> int: ...
    @property
    def n_hidden(self) -> int: ...
    @property
    def n_output(self) -> int: ...
    @property
    def n_state(self) -> int:
        """n_hidden, or 2 n_hidden for LSTM."""
    @property
    def n_params(self) -> int: ...
    @property
    def init_seed(self) -> Optional[int]:
        """The seed the network was built from; None when not built here from a seed."""
    def parameter_names(self) -> list[str]:
        """Tensor names in storage order (the keys of state_dict())."""
    def state_dict(self) -> dict[str, _F64]:
        """{name: float64 array copy} with PyTorch's names and shapes, then 'readout.weight'
        [n_output, n_hidden] and 'readout.bias' [n_output]."""
    def load_state_dict(
        self, state_dict: dict[str, Any], activation: Optional[str] = None
    ) -> None:
        """Sets every tensor; all keys are required and shapes must match PyTorch's, else
        ValueError naming the keys or the shapes (and the network is unchanged). The
        activation must be known: from the dict's '_extra_state' record (rnnatlas.torch), else
        torch's (nn.GRU/nn.LSTM tanh, nn.RNN tanh or relu), else `activation`."""
    def parameters(self) -> _F64:
        """A copy of the flat parameter vector [n_params], tensors row-major in
        parameter_names() order."""
    def set_parameters(self, parameters: _Array) -> None:
        """Sets the flat vector [n_params]; ValueError for a wrong length or non-finite value."""
    def run(
        self, inputs: _Array, initial_state: Optional[_Array] = None
    ) -> tuple[_F64, _F64]:
        """(states [n_batch, n_time, n_state], outputs [n_batch, n_time, n_output]) for inputs
        [n_batch, n_time, n_input]; states[:, t] is the state after step t. A 2-D input
        [n_time, n_input] gives 2-D results. initial_state: [n_batch, n_state] or [n_state];
        zeros when None. The results view one time-major buffer (strided, not C-contiguous,
        when n_batch > 1). Runs without the GIL."""
    def step(self, state: _Array, input: _Array) -> _F64:
        """F(s, x) [n_state] for a state [n_state] and an input [n_input]."""
    def state_jacobian(self, state: _Array, input: _Array) -> _F64:
        """dF/ds [n_state, n_state]."""
    def input_jacobian(self, state: _Array, input: _Array) -> _F64:
        """dF/dx [n_state, n_input]."""
    def readout(self, states: _Array) -> _F64:
        """y = W_out h + b_out: states [n, n_state] -> [n, n_output], or [n_state] ->
        [n_output]."""
    def save(self, path: _Path) -> None:
        """Writes the network with its own record (record()) to an HDF5 network file."""
    def record(self) -> NetworkRecord:
        """What save() writes: the network, its init seed (0 when unknown), and the task,
        options and summary of its last train() (untrained when none, or when the parameters
        changed since)."""
    def __copy__(self) -> Network: ...
    def __deepcopy__(self, memo: dict) -> Network: ...

# ---- training --------------------------------------------------------------------------------

class TrainProgress:
    """What TrainOptions.progress receives."""

    @property
    def iteration(self) -> int: ...
    @property
    def n_iterations(self) -> int: ...
    @property
    def loss(self) -> float: ...
    @property
    def learning_rate(self) -> float: ...
    @property
    def seconds(self) -> float: ...

class TrainOptions:
    """Options of train(); the fields, rules and defaults of rnnatlas/training/train.h."""

    # Generated from TrainOptions.schema() by python/generate_stubs.py: edit the schema.
    n_iterations: int
    """Minibatch updates; >= 1 (default 2000)."""
    n_batch: int
    """Trials per minibatch; >= 1 (default 128)."""
    learning_rate: float
    """Adam step size; > 0 and finite (default 0.001)."""
    adam_beta1: float
    """Adam's decay of the mean; in [0, 1) (default 0.9)."""
    adam_beta2: float
    """Adam's decay of the squared gradient; in [0, 1) (default 0.999)."""
    adam_epsilon: float
    """Adam's offset of the denominator; > 0 and finite (default 1e-08)."""
    lr_decay_rate: float
    """
    Decay of the learning rate, lr_i = learning_rate * lr_decay_rate^(i / lr_decay_steps); 1 =
    constant; in (0, 1] (default 1.0).
    """
    lr_decay_steps: int
    """Iterations over which the learning rate decays by lr_decay_rate; >= 1 (default 1000)."""
    gradient_clip_norm: float
    """Bound on the global gradient norm; a number (<= 0 disables) (default 10.0)."""
    l2: float
    """Weight of ||W_ih||^2 + ||W_hh||^2 in the loss; >= 0 and finite (default 0.0)."""
    divergence_factor: float
    """
    Diverged when the loss > this x the largest of the first 10 losses; > 1 (inf = only a non-finite
    loss or gradient stops) (default 10000.0).
    """
    seed: int
    """Seed of the training trials (not of the weights) (default 0)."""
    eval_seed: int
    """Seed of the held-out trials (default 20190719)."""
    n_eval_batch: int
    """Held-out trials of the final metrics; >= 1 (default 256)."""
    progress_every: int
    """Iterations between progress callbacks; >= 1 (default 10)."""
    # End of the fields generated from TrainOptions.schema().
    progress: Optional[Callable[[TrainProgress], None]]
    """Called every progress_every iterations and at the end, with the GIL held."""
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]:
        """Every field: name, type, default, rule, help, stored, settable."""
    def validate(self) -> None:
        """Raises ValueError naming the first field that breaks its rule."""

class EvalMetrics:
    """Held-out performance of a network on a task."""

    mse: float
    """Masked mean squared error."""
    normalized_mse: float
    """mse / masked variance of the targets."""
    sign_accuracy: float
    """Fraction of scored entries with sign(y) = sign(target); NaN unless the task has sign
    targets."""
    n_trials: int
    def __init__(self) -> None: ...

class TrainSummary:
    """How train() ended, its loss history and held-out metrics."""

    termination: str
    """'not_run', 'completed' or 'diverged'."""
    message: str
    n_iterations_done: int
    loss_history: _F64
    """float64 [n_iterations_done]: the minibatch loss of every iteration (a copy)."""
    eval: EvalMetrics
    """Held-out metrics of the returned parameters."""
    seconds: float
    """Wall time of the training loop."""
    def __init__(self) -> None: ...
    def brief_report(self) -> str:
        """One line for logs."""

def train(
    options: TrainOptions, task: Task, network: Network, progress_interval: float = 0.0
) -> TrainSummary:
    """Trains `network` in place; runs without the GIL; the network keeps the record of this
    training. options.progress is called at most every `progress_interval` seconds (0: every
    progress_every iterations) and at the end. rnnatlas.train takes keyword options."""

def evaluate(network: Network, task: Task, n_batch: int = 256, seed: int = ...) -> EvalMetrics:
    """Held-out metrics on `n_batch` trials of stream `seed` (default: TrainOptions().eval_seed)."""

# ---- files -----------------------------------------------------------------------------------

class NetworkRecord:
    """The contents of one network file."""

    network: Network
    init_seed: int
    task_name: str
    """Canonical task name; '' when untrained."""
    task_params: dict[str, float]
    train_options: TrainOptions
    summary: TrainSummary
    library_version: str
    """The rnnatlas version that wrote the file."""
    def __init__(self) -> None: ...

def save_network_file(path: _Path, record: NetworkRecord) -> None:
    """Writes `record` atomically; OSError (IoError) naming the path on failure."""

def load_network(path: _Path) -> Network:
    """The network of a network file, carrying its init seed and training record."""

def load_network_file(path: _Path) -> NetworkRecord:
    """Reads a network file; OSError (IoError) naming the path and the problem on failure."""

# ---- populations (sweep directories) ---------------------------------------------------------

def read_manifest(dir: str) -> list[dict[str, Any]]:
    """DIR/manifest.csv as dicts (index, id, cell, activation, n_hidden, seed, init_seed,
    train_seed, outcome, n_iterations_done, final_loss, mse, normalized_mse, sign_accuracy, kept,
    seconds, file, file_hash), checked as one population exactly as the CLI checks it; OSError
    (IoError) naming the line and the problem otherwise."""

def summarize_population(dir: str) -> list[dict[str, Any]]:
    """The table of `rnnatlas summary`, computed from the manifest now: one dict per cell x
    activation (networks, trained, kept, diverged, median_normalized_mse, seconds)."""

def verified_network_file(dir: str, id: str) -> str:
    """The path of network `id`'s file after checking its content hash against the manifest;
    OSError (IoError) when it was replaced or changed, or the manifest records no hash."""

def verify_kept_network_files(dir: str) -> None:
    """Checks every kept network file against the manifest's content hash (manifest read once);
    OSError (IoError) naming the first one replaced or changed, or without a hash."""

def sweep_in_progress(dir: str) -> bool:
    """True while a `rnnatlas sweep` run holds DIR's lock."""

def population_snapshot_note(dir: str) -> str:
    """'' when DIR's sweep is finished and not running; otherwise the warning the stages print."""

def file_content_hash(path: str) -> str:
    """Content hash (64-bit FNV-1a, 16 hex digits) of a file, as manifests record it."""

# ---- dynamics --------------------------------------------------------------------------------

class NewtonOptions:
    """Newton refinement after the Adam search (rnnatlas/dynamics/fixed_points.h)."""

    # Generated from NewtonOptions.schema() by python/generate_stubs.py: edit the schema.
    enabled: bool
    """Refine with Newton; false: Adam alone, to its own end (default True)."""
    max_iters: int
    """Newton steps per try; >= 0 (0 disables Newton) (default 20)."""
    round_iters: int
    """Adam iterations between the Newton rounds; >= 1 (default 10)."""
    tol_q: float
    """Stop refining once q <= this; >= 0 and finite (default 1e-30)."""
    max_backtracks: int
    """Halvings of a step before giving up on a candidate; >= 0 (default 30)."""
    min_rcond: float
    """
    J - I is singular below this reciprocal condition estimate (then Levenberg-Marquardt); in [0, 1)
    (default 1e-12).
    """
    lm_damping: float
    """
    Levenberg-Marquardt damping, mu = lm_damping * ||J - I||_F^2; > 0 and finite (default 1e-10).
    """
    # End of the fields generated from NewtonOptions.schema().
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None: ...

class FixedPointOptions:
    """Options of find_fixed_points(); fields, rules and defaults of dynamics/fixed_points.h."""

    # Generated from FixedPointOptions.schema() by python/generate_stubs.py: edit the schema.
    tol_q: float
    """
    A point is fixed when q = |F(s) - s|^2 / 2 <= this, else slow; >= 0 and finite (default 1e-12).
    """
    tol_dq: float
    """Stalled when |q_k - q_{k-1}| < this x the learning rate; >= 0 and finite (default 1e-20)."""
    max_iters: int
    """Adam iterations per initial state; >= 0 (0 = Newton only) (default 5000)."""
    adam_beta1: float
    """Adam's decay of the mean; in [0, 1) (default 0.9)."""
    adam_beta2: float
    """Adam's decay of the squared gradient; in [0, 1) (default 0.999)."""
    adam_epsilon: float
    """Adam's offset of the denominator; > 0 and finite (default 0.01)."""
    lr_initial: float
    """
    Initial Adam learning rate (FixedPointFinder's 1.0 loses gated networks' fixed points); > 0 and
    finite (default 0.01).
    """
    lr_min: float
    """Floor of the adaptive learning rate; > 0 (and <= lr_initial) (default 0.001)."""
    lr_max: float
    """Ceiling of the adaptive learning rate; finite (>= lr_initial) (default 1000.0)."""
    lr_decrease_factor: float
    """The rate is multiplied by this whenever q increases; in (0, 1) (default 0.95)."""
    lr_increase_factor: float
    """
    ... and by this after lr_steps_per_increase consecutive decreases of q; >= 1 and finite (default
    1.0526315789473684).
    """
    lr_steps_per_increase: int
    """Consecutive decreases of q before the rate increases; >= 1 (default 5)."""
    tol_unique: float
    """Points closer than this are one (the lower q is kept); >= 0 and finite (default 0.001)."""
    outlier_distance_scale: float
    """
    Points farther from the initial states' centroid than this x their mean distance to it are
    dropped; >= 0 and finite (0 disables outlier exclusion) (default 10.0).
    """
    # End of the fields generated from FixedPointOptions.schema().
    newton: NewtonOptions
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None:
        """Raises ValueError naming the first field that breaks its rule."""

class FixedPoints:
    """The points found, sorted by q ascending. Arrays are copies."""

    @property
    def input(self) -> _F64:
        """float64 [n_input], the constant input."""
    @property
    def states(self) -> _F64:
        """float64 [n_points, n_state], row i = point i."""
    @property
    def q(self) -> _F64:
        """float64 [n_points], 1/2 ||F(s) - s||^2."""
    @property
    def is_slow(self) -> npt.NDArray[np.bool_]:
        """bool [n_points]: q > tol_q."""
    @property
    def stop(self) -> list[str]:
        """'tol_q', 'tol_dq', 'max_iters' or 'non_finite' per point."""
    @property
    def n_adam_iters(self) -> _I32: ...
    @property
    def n_newton_iters(self) -> _I32: ...
    @property
    def initial_index(self) -> _I32: ...
    @property
    def n_merged(self) -> _I32: ...
    @property
    def n_points(self) -> int: ...
    @property
    def n_slow(self) -> int: ...
    def __len__(self) -> int: ...

class FixedPointSummary:
    """How find_fixed_points() went."""

    @property
    def termination(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def n_candidates(self) -> int: ...
    @property
    def n_converged(self) -> int: ...
    @property
    def n_slow(self) -> int: ...
    @property
    def n_stalled(self) -> int: ...
    @property
    def n_max_iters(self) -> int: ...
    @property
    def n_non_finite(self) -> int: ...
    @property
    def n_merged(self) -> int: ...
    @property
    def n_outliers(self) -> int: ...
    @property
    def n_points(self) -> int: ...
    @property
    def n_slow_points(self) -> int: ...
    @property
    def n_adam_iters(self) -> int: ...
    @property
    def n_newton_refined(self) -> int: ...
    @property
    def max_q(self) -> float: ...
    @property
    def seconds_adam(self) -> float: ...
    @property
    def seconds_newton(self) -> float: ...
    @property
    def mean_q_history(self) -> _F64: ...
    def brief_report(self) -> str: ...

class FixedPointResult:
    @property
    def points(self) -> FixedPoints: ...
    @property
    def summary(self) -> FixedPointSummary: ...

def find_fixed_points(
    options: FixedPointOptions, network: Network, initial_states: _Array, input: _Array
) -> FixedPointResult:
    """Fixed and slow points from initial_states [n_init, n_state] at input [n_input]; runs
    without the GIL. rnnatlas.find_fixed_points takes keyword options."""

def fixed_point_objective(
    network: Network, states: _Array, input: _Array
) -> tuple[_F64, _F64]:
    """(q [n], grad q [n, n_state]) for states [n, n_state]."""

class InitialStateOptions:
    n_states: int
    n_trials: int
    noise_scale: float
    seed: int
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

@overload
def sample_initial_states(
    options: InitialStateOptions, network: Network, task: Task
) -> _F64: ...
@overload
def sample_initial_states(options: InitialStateOptions, pool: _Array) -> _F64:
    """[n_states, n_state] drawn from task trajectories or from the rows of a pool."""

class LinearizationOptions:
    # Generated from LinearizationOptions.schema() by python/generate_stubs.py: edit the schema.
    stability_tol: float
    """Half-width of the marginal band around |lambda| = 1; in [0, 1) (default 0.001)."""
    compute_eigenvectors: bool
    """Right and left eigenvectors too (else only eigenvalues) (default True)."""
    # End of the fields generated from LinearizationOptions.schema().
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None: ...

class Linearization:
    """J, B and the eigen-decomposition of J (sorted by |lambda| descending); read-only views."""

    @property
    def state(self) -> _F64: ...
    @property
    def input(self) -> _F64: ...
    @property
    def J(self) -> _F64: ...
    @property
    def B(self) -> _F64: ...
    @property
    def eigenvalues(self) -> _C128: ...
    @property
    def right_eigenvectors(self) -> _C128:
        """[n_state, n_state], column i pairs with eigenvalues[i]."""
    @property
    def left_eigenvectors(self) -> _C128:
        """[n_state, n_state], column i = l_i with l_i^T r_j = delta_ij."""
    @property
    def eigenvector_rcond(self) -> float: ...
    @property
    def n_unstable(self) -> int: ...
    @property
    def n_marginal(self) -> int: ...
    @property
    def stability(self) -> str:
        """'stable', 'marginal', 'saddle' or 'unstable'."""
    @property
    def leading_frequency(self) -> float: ...
    @property
    def stability_tol(self) -> float: ...
    def frequencies(self) -> _F64:
        """|arg lambda_i| [n_state], rad/step."""
    def unstable_modes(self) -> list[int]:
        """Indices (ascending) of the eigenvalues with |lambda| > 1 + stability_tol."""

@overload
def linearize(
    options: LinearizationOptions, network: Network, state: _Array, input: _Array
) -> Linearization: ...
@overload
def linearize(
    options: LinearizationOptions, network: Network, points: FixedPoints, n_threads: int = 1
) -> list[Linearization]:
    """The linearization at one (state, input), or at every point of `points`."""

def analyze_jacobian(options: LinearizationOptions, J: _Array) -> Linearization:
    """Eigen-decomposition and stability class of J [n, n]."""

class TransitionOptions:
    # Generated from TransitionOptions.schema() by python/generate_stubs.py: edit the schema.
    perturbation: float
    """Initial step along each unstable direction (state units); > 0 and finite (default 0.001)."""
    max_steps: int
    """Steps to follow each unstable direction; >= 1 (default 5000)."""
    tol_settled: float
    """A run has settled when ||F(s) - s|| <= this; > 0 and finite (default 1e-10)."""
    tol_match: float
    """
    A settled run reached fixed point j when within this of it; > 0 and finite (default 0.001).
    """
    find_limit_cycles: bool
    """Examine the runs still moving after max_steps for limit cycles (default True)."""
    # End of the fields generated from TransitionOptions.schema().
    limit_cycles: LimitCycleOptions
    """Options of that examination (classify_attractors)."""
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None: ...

class Transition:
    @property
    def from_(self) -> int:
        """Index of the unstable point ('from' in C++)."""
    @property
    def mode(self) -> int: ...
    @property
    def sign(self) -> int: ...
    @property
    def to(self) -> int:
        """Index of the fixed point reached; -1 when none."""
    @property
    def cycle(self) -> int:
        """Index in TransitionGraph.cycles of the limit cycle reached; -1 when none."""
    @property
    def settled(self) -> bool: ...
    @property
    def attractor(self) -> str:
        """What the run reached: 'fixed_point', 'periodic_orbit', 'invariant_curve', 'chaotic',
        'unresolved' or 'diverged'."""
    @property
    def n_steps(self) -> int: ...
    @property
    def final_state(self) -> _F64: ...

class LimitCycle:
    """A limit cycle reached by transition runs (dynamics/transitions.h)."""

    @property
    def kind(self) -> str:
        """'periodic_orbit' or 'invariant_curve'."""
    @property
    def period(self) -> float:
        """Steps per revolution: P of an orbit, 2 pi / frequency of a curve."""
    @property
    def frequency(self) -> float:
        """Rad/step, in [0, pi]."""
    @property
    def stability(self) -> str:
        """An orbit's from its Floquet multipliers; a curve 'stable' (attracting) or 'marginal'."""
    @property
    def multipliers(self) -> _C128:
        """complex128 [n_state], Floquet multipliers, |mu| descending; empty for a curve."""
    @property
    def lyapunov_exponents(self) -> _F64:
        """float64 [min(n_lyapunov, n_state)] per step, descending."""
    @property
    def amplitude(self) -> OrbitAmplitude: ...
    @property
    def state(self) -> _F64:
        """float64 [n_state], a state on the cycle."""

class TransitionGraph:
    @property
    def transitions(self) -> list[Transition]: ...
    @property
    def weights(self) -> _I32: ...
    @property
    def cycles(self) -> list[LimitCycle]:
        """The distinct limit cycles reached, in the order of the first run reaching each."""
    @property
    def cycle_weights(self) -> _I32:
        """int [n_points, n_cycles]: runs from point i that reached cycle c."""
    @property
    def n_unresolved(self) -> int: ...
    @property
    def n_unmatched(self) -> int: ...

def find_transitions(
    options: TransitionOptions,
    network: Network,
    points: FixedPoints,
    linearizations: Sequence[Linearization],
    n_threads: int = 1,
) -> TransitionGraph: ...

# ---- dynamics: limit cycles (rnnatlas/dynamics/limit_cycles.h) --------------------------------

class ShootingOptions:
    """Newton shooting on F^P(s) - s: newton (NewtonOptions), tol_residual, stability_tol."""

    newton: NewtonOptions
    # Generated from ShootingOptions.schema() by python/generate_stubs.py: edit the schema.
    tol_residual: float
    """
    The orbit is converged when ||F^P(s) - s|| <= this (state units); > 0 and finite (default
    1e-10).
    """
    stability_tol: float
    """Floquet multipliers within this of modulus 1 are marginal; in [0, 1) (default 0.001)."""
    # End of the fields generated from ShootingOptions.schema().
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None: ...

class OrbitAmplitude:
    """Size of an orbit around its mean; read-only views."""

    @property
    def center(self) -> _F64:
        """float64 [n_state], mean of the points."""
    @property
    def half_range(self) -> _F64:
        """float64 [n_state], (max - min) / 2 per coordinate."""
    @property
    def rms_radius(self) -> float: ...
    @property
    def max_radius(self) -> float: ...

class PeriodicOrbit:
    """A periodic orbit (period 1: a fixed point) refined by Newton shooting."""

    @property
    def period(self) -> int:
        """Minimal period P."""
    @property
    def input(self) -> _F64: ...
    @property
    def points(self) -> _F64:
        """float64 [P, n_state]: s, F(s), ..., F^{P-1}(s)."""
    @property
    def residual(self) -> float:
        """||F^P(s) - s||."""
    @property
    def converged(self) -> bool: ...
    @property
    def n_newton_iters(self) -> int: ...
    @property
    def residual_history(self) -> _F64:
        """float64 [n_newton_iters + 1], ||F^P(s) - s|| before each Newton step and at the end."""
    @property
    def monodromy(self) -> _F64:
        """float64 [n_state, n_state], J(s_{P-1}) ... J(s_0)."""
    @property
    def multipliers(self) -> _C128:
        """complex128 [n_state], Floquet multipliers sorted by |mu| descending."""
    @property
    def n_unstable(self) -> int: ...
    @property
    def n_marginal(self) -> int: ...
    @property
    def stability(self) -> str:
        """'stable', 'marginal', 'saddle' or 'unstable'."""
    @property
    def frequency(self) -> float:
        """Rad/step in [0, pi]: 0 for P = 1, pi for P = 2, 2 pi |winding_number| / P."""
    @property
    def winding_number(self) -> int: ...
    @property
    def amplitude(self) -> OrbitAmplitude: ...
    def lyapunov_exponents(self) -> _F64:
        """log|mu_i| / P [n_state], descending."""

class LimitCycleOptions:
    """Options of classify_attractors(); fields, rules and defaults of dynamics/limit_cycles.h."""

    # Generated from LimitCycleOptions.schema() by python/generate_stubs.py: edit the schema.
    n_transient: int
    """
    Steps discarded before the analysis (on top of the transition's max_steps); >= 0 (default 2000).
    """
    n_record: int
    """Steps recorded and analysed; >= 16 (and >= 2 max_period + 1) (default 4000)."""
    divergence_norm: float
    """A run diverged when a state's norm exceeds this; > 0 and finite (default 1000000.0)."""
    max_period: int
    """Periods 1 .. max_period are tried; >= 1 (default 64)."""
    tol_recurrence: float
    """
    A period P is a candidate when the window recurs within this after P steps; > 0 and finite
    (default 1e-05).
    """
    tol_match: float
    """
    The refined orbit must pass within this of the last recorded state; > 0 and finite (default
    0.001).
    """
    min_turns: float
    """
    Turns an invariant curve makes around its mean over the window, at least; > 0 and finite
    (default 3.0).
    """
    min_winding_consistency: float
    """
    Fraction of the steps that turn in the dominant direction, at least; in (0.5, 1] (default 0.99).
    """
    max_curve_gap: float
    """
    Largest gap between angle-sorted window points over the RMS radius, at most; > 0 and finite
    (default 0.25).
    """
    max_radius_drift: float
    """
    Change of the mean radius between the window's halves, relative, at most; > 0 and finite
    (default 0.01).
    """
    n_curve_points: int
    """Window points kept for an invariant curve; >= 0 (default 512)."""
    n_lyapunov: int
    """Lyapunov exponents computed for non-periodic runs (capped at n_state); >= 1 (default 2)."""
    tol_lyapunov: float
    """|Lyapunov exponent| <= this counts as zero (per step); > 0 and finite (default 0.002)."""
    tol_unique: float
    """
    Two runs reached the same orbit or curve when within this; >= 0 and finite (default 0.001).
    """
    # End of the fields generated from LimitCycleOptions.schema().
    shooting: ShootingOptions
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None:
        """Raises ValueError naming the first field that breaks its rule."""

class InvariantCurve:
    """Measures of a bounded non-periodic orbit over the recorded window."""

    @property
    def frequency(self) -> float:
        """Mean angular advance, rad/step in [0, pi] (weighted Birkhoff average)."""
    @property
    def frequency_error(self) -> float:
        """|frequency over the first half - over the second half of the window|."""
    @property
    def period(self) -> float:
        """2 pi / frequency, in steps."""
    @property
    def n_turns(self) -> float: ...
    @property
    def winding_consistency(self) -> float: ...
    @property
    def curve_gap(self) -> float: ...
    @property
    def radius_drift(self) -> float: ...
    @property
    def plane(self) -> _F64:
        """float64 [n_state, 2], the two leading principal directions (columns)."""
    @property
    def plane_variance(self) -> _F64: ...
    @property
    def plane_radius(self) -> float: ...
    @property
    def amplitude(self) -> OrbitAmplitude: ...
    @property
    def points(self) -> _F64:
        """float64 [n_curve_points, n_state], the last consecutive window points."""
    @property
    def attracting(self) -> bool: ...

class Attractor:
    """Where one simulation went."""

    @property
    def kind(self) -> str:
        """'fixed_point', 'periodic_orbit', 'invariant_curve', 'chaotic', 'unresolved' or
        'diverged'."""
    @property
    def message(self) -> str: ...
    @property
    def initial_index(self) -> int: ...
    @property
    def final_state(self) -> _F64: ...
    @property
    def n_steps(self) -> int: ...
    @property
    def recurrence_distance(self) -> float: ...
    @property
    def recurrence_period(self) -> int: ...
    @property
    def orbit(self) -> PeriodicOrbit:
        """Valid for 'fixed_point' and 'periodic_orbit'."""
    @property
    def curve(self) -> InvariantCurve:
        """Valid for 'invariant_curve'; diagnostics for 'chaotic' and 'unresolved'."""
    @property
    def lyapunov_exponents(self) -> _F64: ...
    @property
    def same_as(self) -> int:
        """First run that reached the same attractor; -1 when not applicable."""

class AttractorResult:
    """classify_attractors(): one Attractor per initial state."""

    @property
    def input(self) -> _F64: ...
    @property
    def runs(self) -> list[Attractor]: ...
    @property
    def n_unique(self) -> int: ...
    @property
    def counts(self) -> dict[str, int]: ...
    @property
    def kinds(self) -> list[str]: ...
    @property
    def same_as(self) -> _I32: ...
    def brief_report(self) -> str: ...
    def __len__(self) -> int: ...

def classify_attractors(
    options: LimitCycleOptions,
    network: Network,
    initial_states: _Array,
    input: _Array,
    n_threads: int = 1,
) -> AttractorResult:
    """Where runs from initial_states [n_init, n_state] at input [n_input] go; runs without the
    GIL. rnnatlas.classify_attractors takes keyword options."""

def refine_periodic_orbit(
    options: ShootingOptions, network: Network, state: _Array, input: _Array, period: int
) -> PeriodicOrbit:
    """Newton shooting for an orbit of `period` through state [n_state]."""

def lyapunov_exponents(
    network: Network,
    state: _Array,
    input: _Array,
    n_steps: int,
    n_exponents: int,
    n_transient: int = 0,
) -> _F64:
    """The n_exponents leading Lyapunov exponents per step (QR method), descending."""

def iterate_map(
    network: Network, state: _Array, input: _Array, n_steps: int
) -> tuple[_F64, _F64]:
    """(F^n(state) [n_state], its Jacobian [n_state, n_state])."""

def analyze_curve(window: _Array, n_points: int = 0) -> InvariantCurve:
    """Curve measures of consecutive orbit points window [N, n_state]."""

def orbit_amplitude(points: _Array) -> OrbitAmplitude:
    """Center, half ranges and radii of points [n, n_state]."""

# ---- dynamics: the analysis of a network and its file (rnnatlas/dynamics/analysis.h) ---------

class AnalysisOptions:
    """Options of analyze_network(); fields, rules and defaults of dynamics/analysis.h."""

    fixed_points: FixedPointOptions
    linearization: LinearizationOptions
    transitions: TransitionOptions
    # Generated from AnalysisOptions.schema() by python/generate_stubs.py: edit the schema.
    n_initial_states: int
    """
    Initial states of the fixed-point search per condition (visited states plus noise); >= 1
    (default 1024).
    """
    noise_scale: float
    """Std of the noise added to visited states; >= 0 and finite (default 0.5)."""
    n_trials: int
    """Task trials for the visited states and the stored example trajectories; >= 1 (default 16)."""
    seed: int
    """Stream of the example trials and initial states (default 20190719)."""
    capture_fraction: float
    """
    A transition run still moving counts as reaching a stable point when this close to it, relative
    to the point's nearest neighbour; in [0, 0.5] (0: only runs that settle count) (default 0.25).
    """
    input_stride: int
    """Sine_wave: analyse every k-th static input; >= 1 (1 analyses every input) (default 1)."""
    frequency_transient_steps: int
    """Sine_wave: steps dropped before measuring the output frequency; >= 0 (default 100)."""
    frequency_measure_steps: int
    """Sine_wave: steps the output frequency is measured on; >= 8 (default 1000)."""
    line_attractor_tol: float
    """
    | |lambda| - 1 | of a marginal (line-attractor) mode; < 1 and finite (<= 0 selects 1 / n_time of
    the task) (default 0.0).
    """
    # End of the fields generated from AnalysisOptions.schema().
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None:
        """Raises ValueError naming the first field that breaks its rule."""

class ContinuousAttractor:
    """A continuum of fixed points at one condition (a line attractor, a ring, a plane), counted
    once in the topology signature whatever its number of points."""

    @property
    def shape(self) -> str:
        """'open_curve', 'closed_curve' or 'manifold'."""
    @property
    def dimension(self) -> int:
        """Median number of marginal modes over its points (>= 1)."""
    @property
    def n_unstable(self) -> int:
        """Unstable dimensions off it (the least among its points)."""
    @property
    def n_points(self) -> int:
        """Fixed points of the search on it (depends on the sampling)."""

class ConditionDynamics:
    """The fixed points at one constant input (rows, sorted by q), their eigenvalues, stability,
    readouts, transitions and the limit cycles the transitions reached. Arrays are copies."""

    @property
    def label(self) -> str: ...
    @property
    def input(self) -> _F64:
        """float64 [n_input], the constant input."""
    @property
    def states(self) -> _F64:
        """float64 [n_points, n_state]."""
    @property
    def q(self) -> _F64:
        """float64 [n_points], 1/2 ||F(s, u) - s||^2."""
    @property
    def is_slow(self) -> npt.NDArray[np.bool_]:
        """bool [n_points]: q > tol_q."""
    @property
    def eigenvalues(self) -> _C128:
        """complex128 [n_points, n_state], sorted by |lambda| descending."""
    @property
    def n_unstable(self) -> _I32:
        """int [n_points]."""
    @property
    def stability(self) -> list[str]:
        """Per point: 'stable', 'marginal', 'saddle' or 'unstable'."""
    @property
    def leading_frequency(self) -> _F64:
        """float64 [n_points], rad/step; NaN when all eigenvalues are real."""
    @property
    def readout(self) -> _F64:
        """float64 [n_points, n_output]."""
    @property
    def transitions(self) -> _I32:
        """int [n_points, n_points]: runs from fixed point i that reached fixed point j."""
    @property
    def limit_cycles(self) -> list[LimitCycle]: ...
    @property
    def cycle_transitions(self) -> _I32:
        """int [n_points, n_cycles]: runs from fixed point i that reached limit cycle c."""
    @property
    def continuous_attractors(self) -> list[ContinuousAttractor]:
        """The continua (line attractors, rings, ...) the fixed points and the slow points on the
        visited states form."""
    @property
    def attractor(self) -> _I32:
        """int [n_points]: index into continuous_attractors, -1 for an isolated point and for a
        slow point on none."""
    @property
    def n_candidates(self) -> int: ...
    @property
    def n_converged(self) -> int: ...
    @property
    def n_slow(self) -> int: ...
    @property
    def n_merged(self) -> int: ...
    @property
    def n_outliers(self) -> int: ...
    @property
    def n_unresolved(self) -> int:
        """Transition runs that reached neither a fixed point nor a limit cycle."""
    @property
    def n_unmatched(self) -> int: ...
    @property
    def n_points(self) -> int: ...
    def count(self, stability: str) -> int:
        """Fixed points (slow points excluded) of a stability class."""

class ExampleTrajectories:
    """The network on the example trials; arrays are copies [n_trials, n_time, channels]."""

    @property
    def n_trials(self) -> int: ...
    @property
    def n_time(self) -> int: ...
    @property
    def inputs(self) -> _F64: ...
    @property
    def targets(self) -> _F64: ...
    @property
    def outputs(self) -> _F64: ...
    @property
    def states(self) -> _F64:
        """The state after each step."""

class FlipFlopAnalysis:
    @property
    def labels(self) -> _I32:
        """int [n_points, n_bits] in {-1, 0, 1}."""
    @property
    def n_stable(self) -> int: ...
    @property
    def n_stable_corners(self) -> int: ...
    @property
    def n_saddles(self) -> int: ...
    @property
    def count_by_unstable(self) -> _I32:
        """int [n_state + 1]: fixed points with k unstable dimensions."""
    @property
    def corner_transitions_one_bit(self) -> int: ...
    @property
    def corner_transitions_total(self) -> int: ...

class SineWaveAnalysis:
    @property
    def frequency_index(self) -> _I32: ...
    @property
    def target_frequency(self) -> _F64: ...
    @property
    def predicted_frequency(self) -> _F64: ...
    @property
    def measured_frequency(self) -> _F64: ...
    @property
    def has_unstable_complex(self) -> npt.NDArray[np.bool_]: ...

class ContextIntegrationAnalysis:
    @property
    def n_points(self) -> _I32: ...
    @property
    def n_marginal_points(self) -> _I32: ...
    @property
    def eigenvalue_modulus(self) -> _F64:
        """float64 [n_contexts, n_state]."""
    @property
    def mode_response(self) -> _F64:
        """float64 [n_contexts, n_state]."""
    @property
    def n_modes_90(self) -> _I32: ...
    @property
    def line_attractor_tol(self) -> float: ...

class TopologySignature:
    @property
    def signature(self) -> _I32:
        """int [n_conditions, 11]: isolated fixed points with 0, 1, 2, 3, >= 4 unstable dimensions,
        then continuous attractors: open curves, closed curves, manifolds, each stable / unstable
        off it (a continuum counts once, whatever its number of points)."""
    @property
    def label_graph(self) -> _I32:
        """int [3^n_bits, 3^n_bits] for the flip-flop, else empty."""

class NetworkDynamics:
    """Everything analyze_network() finds: the content of a dynamics file."""

    network_id: str
    network_file: str
    @property
    def network_hash(self) -> str:
        """Content hash of the network file analysed; "" in older files or not from a file."""
    @property
    def task(self) -> str: ...
    @property
    def cell(self) -> str: ...
    @property
    def activation(self) -> str: ...
    @property
    def n_hidden(self) -> int: ...
    @property
    def n_input(self) -> int: ...
    @property
    def n_output(self) -> int: ...
    @property
    def n_state(self) -> int: ...
    @property
    def options(self) -> AnalysisOptions: ...
    @property
    def conditions(self) -> list[ConditionDynamics]: ...
    @property
    def trajectories(self) -> ExampleTrajectories: ...
    @property
    def flip_flop(self) -> Optional[FlipFlopAnalysis]: ...
    @property
    def sine_wave(self) -> Optional[SineWaveAnalysis]: ...
    @property
    def context_integration(self) -> Optional[ContextIntegrationAnalysis]: ...
    @property
    def topology(self) -> TopologySignature: ...
    @property
    def seconds(self) -> float:
        """Wall time of analyze_network(); 0 for a loaded file."""

def analyze_network(
    options: AnalysisOptions, network: Network, task: Task, n_threads: int = 1
) -> NetworkDynamics:
    """The dynamics analysis of a network on its task; runs without the GIL.
    rnnatlas.analyze_network takes keyword options."""

def load_dynamics_file(path: _Path) -> NetworkDynamics:
    """Reads a dynamics file; IoError naming the path and the problem."""

def save_dynamics_file(path: _Path, dynamics: NetworkDynamics) -> None:
    """Writes a dynamics file atomically; IoError naming the path on failure."""

def fit_line(x: _Array, y: _Array) -> Optional[dict[str, Any]]:
    """The least-squares line of y [n] against x [n] over the pairs where both are finite:
    {slope, intercept, r_squared, identity_r_squared (of the line y = x), n_points}, the R^2 NaN
    when y is constant; None below 3 pairs or for a constant x. ValueError when x and y differ in
    size. The sine frequency fit of `rnnatlas dynamics` and of the report."""

# ---- similarity ------------------------------------------------------------------------------

class CcaOptions:
    # Generated from CcaOptions.schema() by python/generate_stubs.py: edit the schema.
    rank_tolerance: float
    """
    Singular values below this x the largest are dropped from each side's basis; in [0, 1) (default
    1e-10).
    """
    # End of the fields generated from CcaOptions.schema().
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None: ...

class SvccaOptions:
    # Generated from SvccaOptions.schema() by python/generate_stubs.py: edit the schema.
    k: int
    """Principal directions kept per network; >= 1 (default 10)."""
    variance_fraction: float
    """
    Keep the directions that explain this fraction of the variance instead of k; in [0, 1] (0 = use
    k) (default 0.0).
    """
    rank_tolerance: float
    """
    Singular values below this x the largest count as zero; in [1e-7, 1) (directions come from X^T
    X, which resolves ~sqrt(eps)) (default 1e-07).
    """
    # End of the fields generated from SvccaOptions.schema().
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None: ...

class CkaOptions:
    kernel: str
    """'linear' or 'rbf'."""
    # Generated from CkaOptions.schema() by python/generate_stubs.py: edit the schema.
    threshold: float
    """RBF bandwidth as a multiple of the median distance; > 0 and finite (default 1.0)."""
    debiased: bool
    """Unbiased HSIC estimator (Song et al. 2012) (default False)."""
    # End of the fields generated from CkaOptions.schema().
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None: ...

class ShapeOptions:
    # Generated from ShapeOptions.schema() by python/generate_stubs.py: edit the schema.
    alpha: float
    """Partial whitening; in [0, 1] (1 = Procrustes, 0 = full whitening) (default 1.0)."""
    rank_tolerance: float
    """Covariance eigenvalues below this x the largest count as zero; in [0, 1) (default 1e-10)."""
    # End of the fields generated from ShapeOptions.schema().
    distance: str
    """'angular' or 'euclidean'."""
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None: ...

class SvccaResult:
    @property
    def rho(self) -> _F64: ...
    @property
    def mean_rho(self) -> float: ...
    @property
    def distance(self) -> float: ...

class PwccaResult:
    @property
    def rho(self) -> _F64: ...
    @property
    def weights(self) -> _F64: ...
    @property
    def weighted_rho(self) -> float: ...
    @property
    def distance(self) -> float: ...

def cca(options: CcaOptions, x: _Array, y: _Array) -> _F64: ...
def svcca(options: SvccaOptions, x: _Array, y: _Array) -> SvccaResult: ...
def pwcca(options: CcaOptions, x: _Array, y: _Array) -> PwccaResult: ...
def cka(options: CkaOptions, x: _Array, y: _Array) -> float: ...
def shape_distance(options: ShapeOptions, x: _Array, y: _Array) -> float: ...

class DsaAlignmentOptions:
    # Generated from DsaAlignmentOptions.schema() by python/generate_stubs.py: edit the schema.
    n_random_starts: int
    """Random orthogonal starts besides the identity; >= 0 (default 16)."""
    n_screening_iterations: int
    """Iterations each start gets before the best are refined; >= 1 (default 40)."""
    n_refined: int
    """Starts refined to convergence; >= 1 (default 3)."""
    max_iterations: int
    """Iterations of a refined start; >= 1 (default 1000)."""
    tolerance: float
    """
    A start has converged when the gradient's norm is below this; in (0, 1) (norm of the Riemannian
    gradient for unit-norm operators) (default 1e-06).
    """
    seed: int
    """Stream of the random starts (default 0)."""
    # End of the fields generated from DsaAlignmentOptions.schema().
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None: ...

class DsaOptions:
    # Generated from DsaOptions.schema() by python/generate_stubs.py: edit the schema.
    n_steps: int
    """
    Kept steps per trial (the activity's rows are n_trials x n_steps); >= 0 (0 = unset) (default 0).
    """
    n_delays: int
    """Delay vectors per embedded sample; >= 1 (1 = no delay embedding) (default 1)."""
    delay_interval: int
    """Steps between delays; >= 1 (default 1)."""
    rank: int
    """Principal coordinates of the operator; >= 1 (default 10)."""
    rank_tolerance: float
    """
    Singular values below this x the largest count as zero; in [1e-7, 1) (directions come from Z^T
    Z, which resolves ~sqrt(eps)) (default 1e-07).
    """
    # End of the fields generated from DsaOptions.schema().
    distance: str
    """'angular' or 'euclidean'."""
    alignment: DsaAlignmentOptions
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None: ...

class PreparedDsa:
    @property
    def n_samples(self) -> int: ...
    @property
    def n_units(self) -> int: ...
    @property
    def n_steps(self) -> int: ...
    @property
    def n_delays(self) -> int: ...
    @property
    def delay_interval(self) -> int: ...
    @property
    def dynamics(self) -> _F64:
        """[rank, rank] operator A."""
    @property
    def directions(self) -> _F64:
        """[n_delays * n_units, rank]."""
    @property
    def singular_values(self) -> _F64: ...
    @property
    def fit_residual(self) -> float: ...
    @property
    def rank(self) -> int: ...
    def embedding_dynamics(self) -> _F64:
        """[n_delays * n_units, n_delays * n_units]."""

class DsaResult:
    @property
    def distance(self) -> float: ...
    @property
    def angular(self) -> float: ...
    @property
    def euclidean(self) -> float: ...
    @property
    def alignment(self) -> _F64:
        """[n, n] orthogonal C, C A_y C^T ~ A_x."""
    @property
    def n_starts(self) -> int: ...
    @property
    def best_start(self) -> int: ...
    @property
    def n_iterations(self) -> int: ...
    @property
    def gradient_norm(self) -> float: ...
    @property
    def converged(self) -> bool: ...

def prepare_dsa(options: DsaOptions, x: _Array) -> PreparedDsa: ...
def dsa(options: DsaOptions, x: _Array, y: _Array) -> DsaResult: ...
def dsa_prepared(options: DsaOptions, x: PreparedDsa, y: PreparedDsa) -> DsaResult: ...
def operator_distance(options: DsaOptions, a: _Array, b: _Array) -> DsaResult: ...

class DistanceMatrixOptions:
    metric: str
    """'cca', 'svcca', 'pwcca', 'cka', 'shape' or 'dsa'."""
    cca: CcaOptions
    svcca: SvccaOptions
    cka: CkaOptions
    shape: ShapeOptions
    dsa: DsaOptions
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

def distance_matrix(
    options: DistanceMatrixOptions, activities: Sequence[_Array], n_threads: int = 1
) -> _F64:
    """[N, N], symmetric, zero diagonal; runs without the GIL."""

class NetworkLabels:
    """Per-network labels of a distance file, [N] each in row order."""

    @property
    def cell(self) -> list[str]: ...
    @property
    def activation(self) -> list[str]: ...
    @property
    def n_hidden(self) -> list[int]: ...
    @property
    def l2(self) -> list[float]: ...
    @property
    def learning_rate(self) -> list[float]: ...
    @property
    def seed(self) -> list[int]: ...

class DistanceFile:
    """The contents of a distance file (docs/pipeline.md)."""

    @property
    def metric(self) -> str: ...
    @property
    def params(self) -> dict[str, Union[bool, int, float, str]]: ...
    @property
    def network_ids(self) -> list[str]: ...
    @property
    def distances(self) -> _F64:
        """float64 [N, N], symmetric, zero diagonal."""
    @property
    def labels(self) -> NetworkLabels: ...
    @property
    def library_version(self) -> str: ...
    @property
    def created(self) -> str: ...

def load_distance_file(path: str) -> DistanceFile: ...
def distance_file_staleness(dir: str, path: str) -> str:
    """'' when the distance file at `path` is current for sweep directory DIR; otherwise what
    differs. OSError (IoError) when the population fails its checks."""

class ClassicalMdsResult:
    @property
    def coordinates(self) -> _F64: ...
    @property
    def eigenvalues(self) -> _F64: ...

def classical_mds(distances: _Array, n_components: int = 2) -> ClassicalMdsResult: ...

class SmacofOptions:
    # Generated from SmacofOptions.schema() by python/generate_stubs.py: edit the schema.
    n_components: int
    """Embedding dimension (at most n); >= 1 (default 2)."""
    n_starts: int
    """Random starts (plus the classical MDS start when enabled); >= 1 (default 4)."""
    classical_start: bool
    """Also start from classical MDS (default True)."""
    max_iterations: int
    """Guttman transforms per start; >= 1 (default 300)."""
    tolerance: float
    """
    A start stops when the relative decrease of stress is below this; >= 0 and finite (default
    1e-09).
    """
    seed: int
    """Start s draws from stream (seed, s) (default 0)."""
    # End of the fields generated from SmacofOptions.schema().
    def __init__(self) -> None: ...
    @staticmethod
    def schema() -> list[dict[str, Any]]: ...
    def validate(self) -> None: ...

class SmacofSummary:
    @property
    def termination(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def coordinates(self) -> _F64: ...
    @property
    def stress(self) -> float: ...
    @property
    def normalized_stress(self) -> float: ...
    @property
    def best_start(self) -> int: ...
    @property
    def n_iterations(self) -> int: ...
    @property
    def stress_history(self) -> list[float]: ...
    @property
    def start_stress(self) -> list[float]: ...

def smacof(options: SmacofOptions, distances: _Array) -> SmacofSummary: ...
def silhouette_score(distances: _Array, labels: Sequence[int]) -> float: ...
def knn_accuracy(distances: _Array, labels: Sequence[int], k: int) -> float: ...

class ClusterStatsOptions:
    k: int
    n_permutations: int
    seed: int
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class ClusterStats:
    @property
    def silhouette(self) -> float: ...
    @property
    def silhouette_p_value(self) -> float: ...
    @property
    def knn_accuracy(self) -> float: ...
    @property
    def knn_p_value(self) -> float: ...
    @property
    def majority_accuracy(self) -> float: ...
    @property
    def n_permutations(self) -> int: ...

def cluster_stats(
    options: ClusterStatsOptions, distances: _Array, labels: Sequence[int], n_threads: int = 1
) -> ClusterStats: ...

class MantelOptions:
    n_permutations: int
    seed: int
    def __init__(self) -> None: ...
    def validate(self) -> None: ...

class MantelResult:
    @property
    def r(self) -> float: ...
    @property
    def p_value(self) -> float: ...
    @property
    def n_permutations(self) -> int: ...

def mantel_test(options: MantelOptions, a: _Array, b: _Array) -> MantelResult: ...

class LabelClusters:
    """How one label clusters in the distance matrix: /cluster/<label> of an embedding file."""

    @property
    def label(self) -> str: ...
    @property
    def n_groups(self) -> int: ...
    @property
    def k(self) -> int: ...
    @property
    def stats(self) -> ClusterStats: ...

class EmbeddingFile:
    """The contents of an embedding file (docs/pipeline.md)."""

    @property
    def metric(self) -> str: ...
    @property
    def network_ids(self) -> list[str]: ...
    @property
    def classical(self) -> _F64:
        """float64 [N, 2]."""
    @property
    def classical_eigenvalues(self) -> _F64: ...
    @property
    def smacof(self) -> _F64:
        """float64 [N, 2]."""
    @property
    def stress(self) -> float: ...
    @property
    def normalized_stress(self) -> float: ...
    @property
    def clusters(self) -> list[LabelClusters]: ...
    @property
    def options(self) -> dict[str, Union[bool, int, float, str]]: ...
    @property
    def library_version(self) -> str: ...
    @property
    def created(self) -> str: ...

def load_embedding_file(path: str) -> EmbeddingFile: ...
def embedding_staleness(dir: str, name: str) -> str:
    """'' when DIR/similarity/<name>.embedding.h5 was computed from DIR/similarity/<name>.h5 as it
    is now; otherwise why not."""
