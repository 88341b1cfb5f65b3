"""rnnatlas networks against PyTorch: same weights, same trajectories, same Jacobians.

Vanilla (tanh, relu), GRU and LSTM are checked against torch.nn.RNN/GRU/LSTM in both directions of
weight transfer. Every cell kind and activation is also checked against a direct torch transcription
of the equations in include/rnnatlas/models/cell.h, whose autograd Jacobians must match
state_jacobian and input_jacobian.
"""

import numpy as np
import pytest

import rnnatlas

torch = pytest.importorskip("torch")
F = torch.nn.functional

N_INPUT, N_HIDDEN, N_OUTPUT = 3, 7, 2
N_BATCH, N_TIME = 4, 30
TOL = 1e-10

TORCH_CASES = [("vanilla", "tanh"), ("vanilla", "relu"), ("gru", "tanh"), ("lstm", "tanh")]


def torch_rnn(arch, activation):
    kwargs = dict(batch_first=True, dtype=torch.float64)
    if arch == "vanilla":
        return torch.nn.RNN(N_INPUT, N_HIDDEN, nonlinearity=activation, **kwargs)
    if arch == "gru":
        return torch.nn.GRU(N_INPUT, N_HIDDEN, **kwargs)
    return torch.nn.LSTM(N_INPUT, N_HIDDEN, **kwargs)


def randomized(module, seed, scale):
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_((torch.rand(p.shape, generator=generator, dtype=p.dtype) * 2 - 1) * scale)
    return module


def torch_run(rnn, readout, arch, x, s0):
    """x: [n_batch, n_time, n_input]; s0: [n_batch, n_state] -> (h [B, T, H], c_T or None, y)."""
    x, s0 = torch.from_numpy(x), torch.from_numpy(s0)
    with torch.no_grad():
        if arch == "lstm":
            h, (_, c_n) = rnn(x, (s0[None, :, :N_HIDDEN].contiguous(), s0[None, :, N_HIDDEN:].contiguous()))
            c_last = c_n[0].numpy()
        else:
            h, _ = rnn(x, s0[None].contiguous())
            c_last = None
        return h.numpy(), c_last, readout(h).numpy()


def assert_close(actual, expected, tol=TOL):
    """Max abs difference relative to the size of the values (relu trajectories can grow)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    error = np.max(np.abs(actual - expected))
    assert error <= tol * max(1.0, np.max(np.abs(expected))), f"max abs difference {error:.3e}"


def random_inputs(arch, seed):
    rng = np.random.default_rng(seed)
    n_state = 2 * N_HIDDEN if arch == "lstm" else N_HIDDEN
    return rng.normal(size=(N_BATCH, N_TIME, N_INPUT)), rng.normal(scale=0.5, size=(N_BATCH, n_state))


@pytest.mark.parametrize("arch,activation", TORCH_CASES)
def test_torch_weights_give_torch_trajectories(arch, activation):
    torch.manual_seed(0)
    rnn = randomized(torch_rnn(arch, activation), seed=1, scale=0.6)
    readout = randomized(torch.nn.Linear(N_HIDDEN, N_OUTPUT, dtype=torch.float64), seed=2, scale=0.6)

    net = rnnatlas.Network(arch, N_INPUT, N_HIDDEN, N_OUTPUT, activation=activation, seed=123)
    state = {k: v.numpy() for k, v in rnn.state_dict().items()}
    state.update({"readout." + k: v.numpy() for k, v in readout.state_dict().items()})
    net.load_state_dict(state)

    x, s0 = random_inputs(arch, seed=3)
    states, outputs = net.run(x, s0)
    h, c_last, y = torch_run(rnn, readout, arch, x, s0)

    assert_close(states[:, :, :N_HIDDEN], h)
    assert_close(outputs, y)
    if arch == "lstm":
        assert states.shape == (N_BATCH, N_TIME, 2 * N_HIDDEN)
        assert_close(states[:, -1, N_HIDDEN:], c_last)
    # The trajectory must actually move, or the comparison would prove little.
    assert np.std(states[:, -1]) > 0.05


@pytest.mark.parametrize("arch,activation", TORCH_CASES)
def test_rnnatlas_weights_give_same_trajectories_in_torch(arch, activation):
    net = rnnatlas.Network(arch, N_INPUT, N_HIDDEN, N_OUTPUT, activation=activation, seed=42)
    state = net.state_dict()
    rnn = torch_rnn(arch, activation)
    readout = torch.nn.Linear(N_HIDDEN, N_OUTPUT, dtype=torch.float64)
    assert [k for k in state if not k.startswith("readout.")] == list(rnn.state_dict())
    rnn.load_state_dict({k: torch.from_numpy(v) for k, v in state.items() if not k.startswith("readout.")})
    readout.load_state_dict({"weight": torch.from_numpy(state["readout.weight"]),
                             "bias": torch.from_numpy(state["readout.bias"])})

    x, s0 = random_inputs(arch, seed=4)
    states, outputs = net.run(x, s0)
    h, c_last, y = torch_run(rnn, readout, arch, x, s0)
    assert_close(states[:, :, :N_HIDDEN], h)
    assert_close(outputs, y)
    if arch == "lstm":
        assert_close(states[:, -1, N_HIDDEN:], c_last)


def torch_step(rnn, arch):
    """One step of a torch module as a function (s [n_state], x [n_input]) -> s' [n_state]."""

    def step(s, x):
        if arch == "lstm":
            _, (h, c) = rnn(x[None, None], (s[None, None, :N_HIDDEN], s[None, None, N_HIDDEN:]))
            return torch.cat([h.reshape(-1), c.reshape(-1)])
        _, h = rnn(x[None, None], s[None, None])
        return h.reshape(-1)

    return step


@pytest.mark.parametrize("arch,activation", TORCH_CASES)
def test_jacobians_match_torch_autograd(arch, activation):
    net = rnnatlas.Network(arch, N_INPUT, N_HIDDEN, N_OUTPUT, activation=activation, seed=7)
    rnn = torch_rnn(arch, activation)
    rnn.load_state_dict({k: torch.from_numpy(v) for k, v in net.state_dict().items()
                         if not k.startswith("readout.")})
    step = torch_step(rnn, arch)
    rng = np.random.default_rng(8)
    for _ in range(3):
        s = rng.normal(scale=0.5, size=net.n_state)
        x = rng.normal(size=N_INPUT)
        st, xt = torch.from_numpy(s), torch.from_numpy(x)
        j_state, j_input = torch.autograd.functional.jacobian(step, (st, xt))
        assert_close(net.step(s, x), step(st, xt).detach().numpy())
        assert_close(net.state_jacobian(s, x), j_state.numpy())
        assert_close(net.input_jacobian(s, x), j_input.numpy())


# ---- every cell and activation against the equations of cell.h ------------------------------

PHI = {"tanh": torch.tanh, "relu": torch.relu, "softplus": F.softplus, "linear": lambda a: a}


def equations_step(arch, activation, p, s, x):
    """The update of cell.h written directly in torch; p: state dict of torch tensors."""
    phi, sigma, h = PHI[activation], torch.sigmoid, s[:N_HIDDEN]
    if arch == "ugrnn":
        # ugrnn has no PyTorch module: its tensors follow the same naming scheme, gates (g, c).
        names = [k for k in p if not k.startswith("readout.")]
        a = p["weight_ih_l0"] @ x + p["weight_hh_l0"] @ h + sum(p[k] for k in names if k.startswith("bias"))
        g, c = sigma(a[:N_HIDDEN]), phi(a[N_HIDDEN:])
        return g * h + (1 - g) * c
    gi = p["weight_ih_l0"] @ x + p["bias_ih_l0"]
    gh = p["weight_hh_l0"] @ h + p["bias_hh_l0"]
    if arch == "vanilla":
        return phi(gi + gh)
    if arch == "gru":
        (ir, iz, i_n), (hr, hz, hn) = gi.chunk(3), gh.chunk(3)
        r, z = sigma(ir + hr), sigma(iz + hz)
        n = phi(i_n + r * hn)
        return (1 - z) * n + z * h
    i, f, g, o = (gi + gh).chunk(4)
    c = sigma(f) * s[N_HIDDEN:] + sigma(i) * phi(g)
    return torch.cat([sigma(o) * phi(c), c])


@pytest.mark.parametrize("activation", ["tanh", "relu", "softplus", "linear"])
@pytest.mark.parametrize("arch", ["vanilla", "ugrnn", "gru", "lstm"])
def test_every_cell_matches_its_equations_and_their_autograd_jacobians(arch, activation):
    net = rnnatlas.Network(arch, N_INPUT, N_HIDDEN, N_OUTPUT, activation=activation, seed=11)
    p = {k: torch.from_numpy(v) for k, v in net.state_dict().items()}
    rng = np.random.default_rng(12)
    s = rng.normal(scale=0.5, size=net.n_state)
    x = rng.normal(size=N_INPUT)
    st, xt = torch.from_numpy(s), torch.from_numpy(x)

    def step(s_, x_):
        return equations_step(arch, activation, p, s_, x_)

    j_state, j_input = torch.autograd.functional.jacobian(step, (st, xt))
    assert_close(net.step(s, x), step(st, xt).numpy())
    assert_close(net.state_jacobian(s, x), j_state.numpy())
    assert_close(net.input_jacobian(s, x), j_input.numpy())
