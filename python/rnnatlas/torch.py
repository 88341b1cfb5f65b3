"""rnnatlas networks as PyTorch modules, and back.

``to_torch(network)`` returns a ``torch.nn.Module`` that computes exactly what the Network computes
(include/rnnatlas/models/cell.h), for every cell (vanilla, ugrnn, gru, lstm) and activation (tanh,
relu, softplus, linear). Where PyTorch has the cell it is PyTorch's own module: ``nn.RNN`` (tanh,
relu), ``nn.GRU`` (tanh) and ``nn.LSTM`` (tanh), each extended with a readout; every other
combination is a small module of this file that runs the cell's equations step by step. All of
them share one interface, ``RnnatlasModule``::

    outputs, hidden, final_state = module(x, initial_state=None)

    x              [n_batch, n_time, n_input] (batch first)
    initial_state  [n_batch, n_state] or None for zeros; n_state = n_hidden, or 2 n_hidden for
                   LSTM with the state laid out [h, c] as in Network.run
    outputs        [n_batch, n_time, n_output], the readout y_t = W_out h_t + b_out
    hidden         [n_batch, n_time, n_hidden], h_t after each step t (Network.run's
                   states[..., :n_hidden])
    final_state    [n_batch, n_state], the state after the last step ([h_T, c_T] for LSTM)

The module's ``state_dict()`` holds the tensors under rnnatlas's names (weight_ih_l0, ...,
readout.weight, readout.bias) plus ``_extra_state`` = {"format": "rnnatlas", "cell": ...,
"activation": ...}, so that a dict cannot be loaded into a network or module of another cell or
activation: ``Network.load_state_dict`` and the module's own ``load_state_dict`` raise ValueError
on a mismatch. ``from_torch(module)`` returns the Network. The dtype of the module (float64 by
default, or ``.float()``) is the dtype it computes in.

This module imports torch; ``import rnnatlas`` does not import it.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np
import torch
from torch import nn

from ._core import Network

__all__ = ["RnnatlasModule", "from_torch", "to_torch"]

_CELLS = ("vanilla", "ugrnn", "gru", "lstm")
_ACTIVATIONS = ("tanh", "relu", "softplus", "linear")
_GATES = {"vanilla": 1, "ugrnn": 2, "gru": 3, "lstm": 4}
_FORMAT = "rnnatlas"


def _phi(activation: str):
    """The activation as a torch function (softplus as log(1 + e^a) without overflow)."""
    if activation == "tanh":
        return torch.tanh
    if activation == "relu":
        return torch.relu
    if activation == "softplus":
        return lambda a: torch.relu(a) + torch.log1p(torch.exp(-a.abs()))
    return lambda a: a


def _record(cell: str, activation: str) -> dict[str, str]:
    return {"format": _FORMAT, "cell": cell, "activation": activation}


def check_record(record: Any, cell: str, activation: str, what: str) -> None:
    """Raises ValueError unless ``record`` (a state dict's ``_extra_state``) names ``cell`` and
    ``activation``."""
    if not isinstance(record, dict) or record.get("format") != _FORMAT:
        raise ValueError(
            f"{what}: '_extra_state' = {record!r} is not an rnnatlas record "
            f"({{'format': 'rnnatlas', 'cell': ..., 'activation': ...}})"
        )
    if (record.get("cell"), record.get("activation")) != (cell, activation):
        raise ValueError(
            f"{what}: the state dict is of a {record.get('activation')} {record.get('cell')} "
            f"network, not a {activation} {cell}; build the network or module with "
            f"cell={record.get('cell')!r}, activation={record.get('activation')!r}"
        )


class RnnatlasModule(nn.Module):
    """The interface of every module to_torch() returns (see the module docstring).

    Attributes: ``cell``, ``activation``, ``n_input``, ``n_hidden``, ``n_output``, ``n_state``
    and ``readout`` (an nn.Linear [n_output, n_hidden]).
    """

    cell: str
    activation: str
    readout: nn.Linear

    def _setup(self, cell: str, activation: str, n_input: int, n_hidden: int,
               n_output: int, dtype: torch.dtype) -> None:
        self.cell, self.activation = cell, activation
        self.n_input, self.n_hidden, self.n_output = n_input, n_hidden, n_output
        self.n_state = 2 * n_hidden if cell == "lstm" else n_hidden
        self.readout = nn.Linear(n_hidden, n_output, dtype=dtype)

    def get_extra_state(self) -> dict[str, str]:
        return _record(self.cell, self.activation)

    def set_extra_state(self, state: Any) -> None:
        check_record(state, self.cell, self.activation, "load_state_dict")

    def _initial(self, x: torch.Tensor, initial_state: Optional[torch.Tensor]) -> torch.Tensor:
        if x.dim() != 3 or x.shape[2] != self.n_input:
            raise ValueError(
                f"x must have shape [n_batch, n_time, {self.n_input}], got {tuple(x.shape)}"
            )
        if initial_state is None:
            return x.new_zeros(x.shape[0], self.n_state)
        if tuple(initial_state.shape) != (x.shape[0], self.n_state):
            raise ValueError(
                f"initial_state must have shape [{x.shape[0]}, {self.n_state}], got "
                f"{tuple(initial_state.shape)}"
            )
        return initial_state

    def extra_repr(self) -> str:
        return (f"cell={self.cell!r}, activation={self.activation!r}, n_input={self.n_input}, "
                f"n_hidden={self.n_hidden}, n_output={self.n_output}")


# ---- PyTorch's own modules with a readout ------------------------------------------------------


class _TorchRNN(RnnatlasModule, nn.RNN):
    def __init__(self, activation: str, n_input: int, n_hidden: int, n_output: int,
                 dtype: torch.dtype):
        nn.RNN.__init__(self, n_input, n_hidden, nonlinearity=activation, batch_first=True,
                        dtype=dtype)
        self._setup("vanilla", activation, n_input, n_hidden, n_output, dtype)

    def forward(self, x, initial_state=None):
        s0 = self._initial(x, initial_state)
        hidden, h_n = nn.RNN.forward(self, x, s0[None].contiguous())
        return self.readout(hidden), hidden, h_n[0]


class _TorchGRU(RnnatlasModule, nn.GRU):
    def __init__(self, activation: str, n_input: int, n_hidden: int, n_output: int,
                 dtype: torch.dtype):
        nn.GRU.__init__(self, n_input, n_hidden, batch_first=True, dtype=dtype)
        self._setup("gru", activation, n_input, n_hidden, n_output, dtype)

    def forward(self, x, initial_state=None):
        s0 = self._initial(x, initial_state)
        hidden, h_n = nn.GRU.forward(self, x, s0[None].contiguous())
        return self.readout(hidden), hidden, h_n[0]


class _TorchLSTM(RnnatlasModule, nn.LSTM):
    def __init__(self, activation: str, n_input: int, n_hidden: int, n_output: int,
                 dtype: torch.dtype):
        nn.LSTM.__init__(self, n_input, n_hidden, batch_first=True, dtype=dtype)
        self._setup("lstm", activation, n_input, n_hidden, n_output, dtype)

    def forward(self, x, initial_state=None):
        s0 = self._initial(x, initial_state)
        H = self.n_hidden
        hidden, (h_n, c_n) = nn.LSTM.forward(
            self, x, (s0[None, :, :H].contiguous(), s0[None, :, H:].contiguous()))
        return self.readout(hidden), hidden, torch.cat([h_n[0], c_n[0]], dim=1)


# ---- The cells PyTorch lacks: the equations of cell.h, one step at a time ----------------------


class _Cell(RnnatlasModule):
    """Any cell and activation, with parameters named and shaped as in Network.state_dict()."""

    def __init__(self, cell: str, activation: str, n_input: int, n_hidden: int, n_output: int,
                 dtype: torch.dtype):
        super().__init__()
        rows = _GATES[cell] * n_hidden
        self.weight_ih_l0 = nn.Parameter(torch.zeros(rows, n_input, dtype=dtype))
        self.weight_hh_l0 = nn.Parameter(torch.zeros(rows, n_hidden, dtype=dtype))
        if cell == "ugrnn":
            self.bias_l0 = nn.Parameter(torch.zeros(rows, dtype=dtype))
        else:
            self.bias_ih_l0 = nn.Parameter(torch.zeros(rows, dtype=dtype))
            self.bias_hh_l0 = nn.Parameter(torch.zeros(rows, dtype=dtype))
        self._setup(cell, activation, n_input, n_hidden, n_output, dtype)

    def forward(self, x, initial_state=None):
        s = self._initial(x, initial_state)
        H, phi, cell = self.n_hidden, _phi(self.activation), self.cell
        h, c = (s[:, :H], s[:, H:]) if cell == "lstm" else (s, None)
        # The input terms of every step at once: [n_batch, n_time, G * n_hidden].
        bias = self.bias_l0 if cell == "ugrnn" else self.bias_ih_l0
        input_terms = torch.matmul(x, self.weight_ih_l0.t()) + bias
        hidden = []
        for t in range(x.shape[1]):
            a = input_terms[:, t]
            if cell == "ugrnn":
                pre = a + h @ self.weight_hh_l0.t()
                g = torch.sigmoid(pre[:, :H])
                h = g * h + (1 - g) * phi(pre[:, H:])
            elif cell == "gru":
                r_in = h @ self.weight_hh_l0.t() + self.bias_hh_l0
                r = torch.sigmoid(a[:, :H] + r_in[:, :H])
                z = torch.sigmoid(a[:, H:2 * H] + r_in[:, H:2 * H])
                n = phi(a[:, 2 * H:] + r * r_in[:, 2 * H:])
                h = (1 - z) * n + z * h
            elif cell == "lstm":
                pre = a + h @ self.weight_hh_l0.t() + self.bias_hh_l0
                i, f = torch.sigmoid(pre[:, :H]), torch.sigmoid(pre[:, H:2 * H])
                g, o = phi(pre[:, 2 * H:3 * H]), torch.sigmoid(pre[:, 3 * H:])
                c = f * c + i * g
                h = o * phi(c)
            else:
                h = phi(a + h @ self.weight_hh_l0.t() + self.bias_hh_l0)
            hidden.append(h)
        hidden = torch.stack(hidden, dim=1) if hidden else x.new_zeros(x.shape[0], 0, H)
        final = torch.cat([h, c], dim=1) if cell == "lstm" else h
        return self.readout(hidden), hidden, final


def _module_class(cell: str, activation: str):
    if cell == "vanilla" and activation in ("tanh", "relu"):
        return _TorchRNN
    if cell == "gru" and activation == "tanh":
        return _TorchGRU
    if cell == "lstm" and activation == "tanh":
        return _TorchLSTM
    return None


def to_torch(network: Network, dtype: torch.dtype = torch.float64) -> RnnatlasModule:
    """A torch module computing exactly what ``network`` computes, with a copy of its parameters
    in ``dtype`` (float64 or float32). PyTorch's nn.RNN / nn.GRU / nn.LSTM where they have the
    cell and activation (vanilla tanh/relu, gru tanh, lstm tanh), a module of rnnatlas.torch
    otherwise; both kinds follow the RnnatlasModule interface."""
    if not isinstance(network, Network):
        raise TypeError(f"to_torch: expected an rnnatlas.Network, got {type(network).__name__}")
    if dtype not in (torch.float64, torch.float32):
        raise ValueError(f"to_torch: dtype = {dtype}; allowed: torch.float64, torch.float32")
    cell, activation = network.cell, network.activation
    sizes = (network.n_input, network.n_hidden, network.n_output)
    native = _module_class(cell, activation)
    if native is not None:
        module = native(activation, *sizes, dtype=dtype)
    else:
        module = _Cell(cell, activation, *sizes, dtype=dtype)
    state = {k: torch.from_numpy(v) for k, v in network.state_dict().items()}
    state["_extra_state"] = _record(cell, activation)
    module.load_state_dict(state)
    return module


def from_torch(module: nn.Module) -> Network:
    """The Network of a module made by to_torch() (possibly trained since, in any dtype): same
    cell, activation, sizes and parameters (widened to float64). Raises TypeError for another
    kind of module; a plain nn.RNN / nn.GRU / nn.LSTM state dict with a readout loads with
    ``Network.load_state_dict`` instead."""
    if not isinstance(module, RnnatlasModule):
        raise TypeError(
            f"from_torch: expected a module made by rnnatlas.torch.to_torch, got "
            f"{type(module).__name__}; for a plain torch.nn.RNN/GRU/LSTM, build an "
            f"rnnatlas.Network of its sizes and call network.load_state_dict(state) with its "
            f"tensors and 'readout.weight', 'readout.bias'"
        )
    network = Network(module.cell, module.n_input, module.n_hidden, module.n_output,
                      activation=module.activation)
    state = {k: (v.detach().cpu().double().numpy() if isinstance(v, torch.Tensor) else v)
             for k, v in module.state_dict().items()}
    network.load_state_dict(state)
    return network
