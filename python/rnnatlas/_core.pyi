"""Typed stubs of rnnatlas._core, the C++ bindings that the rnnatlas package re-exports."""

import os
from typing import Callable, Optional, Union

import numpy as np
import numpy.typing as npt

__version__: str
NETWORK_FILE_FORMAT_VERSION: int

_Path = Union[str, os.PathLike[str]]
_Array = npt.ArrayLike
_F64 = npt.NDArray[np.float64]

class InvalidArgument(ValueError):
    """A caller mistake; the message names the value and what is allowed."""

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
        arch: str,
        n_input: int,
        n_hidden: int,
        n_output: int,
        activation: str = "tanh",
        seed: int = 0,
    ) -> None:
        """PyTorch's default initialisation drawn from `seed`. activation: 'tanh', 'relu',
        'softplus' or 'linear'. Invalid names or sizes raise ValueError."""
    @property
    def arch(self) -> str: ...
    @property
    def cell(self) -> str:
        """Same as arch."""
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
    def parameter_names(self) -> list[str]:
        """Tensor names in storage order (the keys of state_dict())."""
    def state_dict(self) -> dict[str, _F64]:
        """{name: float64 array copy} with PyTorch's names and shapes, then 'readout.weight'
        [n_output, n_hidden] and 'readout.bias' [n_output]."""
    def load_state_dict(self, state_dict: dict[str, _Array]) -> None:
        """Sets every tensor; all keys are required and shapes must match PyTorch's, else
        ValueError naming the keys or the shapes (and the network is unchanged)."""
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
        """Writes the network alone to an HDF5 network file (see rnnatlas.save_network)."""
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

    n_iterations: int
    """Minibatch updates, >= 1 (2000)."""
    n_batch: int
    """Trials per minibatch, >= 1 (128)."""
    learning_rate: float
    """Adam step size, > 0 (1e-3)."""
    adam_beta1: float
    """In [0, 1) (0.9)."""
    adam_beta2: float
    """In [0, 1) (0.999)."""
    adam_epsilon: float
    """> 0 (1e-8)."""
    lr_decay_rate: float
    """In (0, 1]; lr_i = learning_rate * lr_decay_rate^(i / lr_decay_steps) (1 = constant)."""
    lr_decay_steps: int
    """>= 1 (1000)."""
    gradient_clip_norm: float
    """Global gradient-norm bound; <= 0 disables clipping (10)."""
    l2: float
    """Weight of ||W_ih||^2 + ||W_hh||^2, >= 0 (0)."""
    divergence_factor: float
    """Diverged when the loss exceeds this times the largest of the first 10 losses, > 1 (1e4)."""
    seed: int
    """Stream of training trials (not the weights' seed)."""
    eval_seed: int
    """Stream of held-out trials (20190719, shared by a population)."""
    n_eval_batch: int
    """Held-out trials, >= 1 (256)."""
    progress_every: int
    """Iterations between progress callbacks, >= 1 (10)."""
    progress: Optional[Callable[[TrainProgress], None]]
    """Called every progress_every iterations and at the end, with the GIL held."""
    def __init__(self) -> None: ...
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

def train(options: TrainOptions, task: Task, network: Network) -> TrainSummary:
    """Trains `network` in place; runs without the GIL. rnnatlas.train takes keyword options."""

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

def load_network_file(path: _Path) -> NetworkRecord:
    """Reads a network file; OSError (IoError) naming the path and the problem on failure."""
