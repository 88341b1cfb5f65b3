"""rnnatlas.torch: to_torch/from_torch reproduce every cell and activation exactly, and state dicts
carry the activation they were made with.

Gradients: rnnatlas does not expose parameter gradients in Python, so the gradients of a loss
through the torch module are checked against central finite differences of Network.run in
float64, and the one-step Jacobians of the module (torch autograd) against Network.state_jacobian
and Network.input_jacobian, which are exact.
"""

import subprocess
import sys

import numpy as np
import pytest

import rnnatlas

torch = pytest.importorskip("torch")
rt = pytest.importorskip("rnnatlas.torch")

CELLS = ["vanilla", "ugrnn", "gru", "lstm"]
ACTIVATIONS = ["tanh", "relu", "softplus", "linear"]
CASES = [(c, a) for c in CELLS for a in ACTIVATIONS]
N_INPUT, N_HIDDEN, N_OUTPUT, N_BATCH, N_TIME = 3, 5, 2, 4, 12


def network(cell, activation, seed=7):
    net = rnnatlas.Network(cell, N_INPUT, N_HIDDEN, N_OUTPUT, activation=activation, seed=seed)
    # Larger weights than the default initialisation, so that relu and linear networks leave the
    # near-linear regime and every gate matters.
    rng = np.random.default_rng(seed)
    net.set_parameters(rng.uniform(-0.8, 0.8, size=net.n_params))
    return net


def data(net, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N_BATCH, N_TIME, N_INPUT))
    s0 = rng.normal(scale=0.5, size=(N_BATCH, net.n_state))
    return x, s0


def max_rel(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    return np.max(np.abs(a - b)) / max(1.0, np.max(np.abs(b)))


def test_import_rnnatlas_does_not_import_torch():
    code = "import sys, rnnatlas; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_native_modules_are_torchs_own():
    assert isinstance(rt.to_torch(network("vanilla", "relu")), torch.nn.RNN)
    assert isinstance(rt.to_torch(network("gru", "tanh")), torch.nn.GRU)
    assert isinstance(rt.to_torch(network("lstm", "tanh")), torch.nn.LSTM)
    for cell, activation in [("gru", "relu"), ("lstm", "relu"), ("ugrnn", "tanh"),
                             ("vanilla", "softplus")]:
        module = rt.to_torch(network(cell, activation))
        assert not isinstance(module, torch.nn.RNNBase), (cell, activation)
        assert isinstance(module, rt.RnnatlasModule)


@pytest.mark.parametrize("cell,activation", CASES)
def test_outputs_and_states_equal_rnnatlas_in_float64(cell, activation):
    net = network(cell, activation)
    x, s0 = data(net)
    states, outputs = net.run(x, s0)
    module = rt.to_torch(net)
    with torch.no_grad():
        y, hidden, final = module(torch.from_numpy(x), torch.from_numpy(s0))
    assert y.dtype == torch.float64
    assert max_rel(y.numpy(), outputs) <= 1e-10
    assert max_rel(hidden.numpy(), states[:, :, :N_HIDDEN]) <= 1e-10
    assert max_rel(final.numpy(), states[:, -1]) <= 1e-10
    # Zero initial state by default.
    states0, outputs0 = net.run(x)
    with torch.no_grad():
        y0, _, final0 = module(torch.from_numpy(x))
    assert max_rel(y0.numpy(), outputs0) <= 1e-10
    assert max_rel(final0.numpy(), states0[:, -1]) <= 1e-10


@pytest.mark.parametrize("cell,activation", CASES)
def test_float32_module_equals_rnnatlas_to_float32_rounding(cell, activation):
    net = network(cell, activation)
    x, s0 = data(net)
    states, outputs = net.run(x, s0)
    module = rt.to_torch(net, dtype=torch.float32)
    with torch.no_grad():
        y, _, final = module(torch.from_numpy(x).float(), torch.from_numpy(s0).float())
    assert y.dtype == torch.float32
    # 12 steps of float32 arithmetic: a few hundred units in the last place at most.
    assert max_rel(y.numpy(), outputs) <= 2e-5
    assert max_rel(final.numpy(), states[:, -1]) <= 2e-5


@pytest.mark.parametrize("cell,activation", CASES)
def test_one_step_jacobians_equal_rnnatlas(cell, activation):
    net = network(cell, activation)
    module = rt.to_torch(net)
    rng = np.random.default_rng(11)
    s = rng.normal(scale=0.5, size=net.n_state)
    u = rng.normal(size=N_INPUT)

    def step(state, inp):
        _, _, final = module(inp.reshape(1, 1, N_INPUT), state.reshape(1, -1))
        return final[0]

    J, B = torch.autograd.functional.jacobian(step, (torch.from_numpy(s), torch.from_numpy(u)))
    assert max_rel(J.numpy(), net.state_jacobian(s, u)) <= 1e-10
    assert max_rel(B.numpy(), net.input_jacobian(s, u)) <= 1e-10


@pytest.mark.parametrize("cell,activation", CASES)
def test_parameter_gradients_equal_finite_differences_of_rnnatlas(cell, activation):
    net = network(cell, activation)
    x, s0 = data(net)
    weights = np.random.default_rng(5).normal(size=(N_BATCH, N_TIME, N_OUTPUT))

    def loss(theta):
        probe = rnnatlas.Network(cell, N_INPUT, N_HIDDEN, N_OUTPUT, activation=activation)
        probe.set_parameters(theta)
        return float(np.sum(probe.run(x, s0)[1] * weights))

    module = rt.to_torch(net)
    y, _, _ = module(torch.from_numpy(x), torch.from_numpy(s0))
    (y * torch.from_numpy(weights)).sum().backward()
    named = dict(module.named_parameters())
    grad = np.concatenate([named[name].grad.numpy().ravel() for name in net.parameter_names()])

    theta, h = net.parameters(), 1e-6
    fd = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        fd[i] = (loss(theta + e) - loss(theta - e)) / (2 * h)
    # Central differences: O(h^2) truncation plus O(eps / h) rounding of the loss.
    scale = max(1.0, np.max(np.abs(fd)))
    assert np.max(np.abs(grad - fd)) <= 1e-6 * scale, np.max(np.abs(grad - fd))
    # relu kinks can sit inside [theta - h, theta + h] only with probability ~0: still, every
    # gradient must be nonzero somewhere for the check to mean something.
    assert np.count_nonzero(grad) > grad.size // 2


@pytest.mark.parametrize("cell,activation", CASES)
def test_from_torch_round_trips_after_torch_changes_the_weights(cell, activation):
    net = network(cell, activation)
    module = rt.to_torch(net)
    with torch.no_grad():
        for p in module.parameters():
            p.mul_(0.9)
    back = rt.from_torch(module)
    assert (back.cell, back.activation) == (cell, activation)
    np.testing.assert_allclose(back.parameters(), 0.9 * net.parameters(), rtol=0, atol=1e-15)
    # A float32 module comes back widened.
    back32 = rt.from_torch(rt.to_torch(net, dtype=torch.float32))
    np.testing.assert_array_equal(back32.parameters(),
                                  net.parameters().astype(np.float32).astype(np.float64))


def test_from_torch_refuses_other_modules():
    with pytest.raises(TypeError, match="load_state_dict"):
        rt.from_torch(torch.nn.GRU(3, 5))


# ---- state dicts say which activation they hold ------------------------------------------------


def test_module_state_dict_records_cell_and_activation():
    state = rt.to_torch(network("gru", "relu")).state_dict()
    assert state["_extra_state"] == {"format": "rnnatlas", "cell": "gru", "activation": "relu"}
    assert [k for k in state if k != "_extra_state"] == network("gru", "relu").parameter_names()


def test_relu_state_dict_does_not_load_into_tanh_network_or_module():
    state = rt.to_torch(network("gru", "relu")).state_dict()
    with pytest.raises(ValueError, match="relu gru network, not a tanh gru"):
        network("gru", "tanh").load_state_dict(state)
    with pytest.raises(ValueError, match="relu gru network, not a tanh gru"):
        network("gru", "tanh").load_state_dict(state, activation="tanh")
    tanh_module = rt.to_torch(network("gru", "tanh"))
    with pytest.raises(ValueError, match="relu"):
        tanh_module.load_state_dict(state)
    # The recorded activation is enough: no need to name it.
    target = network("gru", "relu", seed=1)
    target.load_state_dict(state)
    np.testing.assert_array_equal(target.parameters(), network("gru", "relu").parameters())


def test_tanh_record_does_not_load_into_relu_network():
    state = rt.to_torch(network("lstm", "tanh")).state_dict()
    target = network("lstm", "relu", seed=1)
    before = target.parameters()
    with pytest.raises(ValueError, match="tanh lstm network, not a relu lstm"):
        target.load_state_dict(state)
    with pytest.raises(ValueError, match="tanh lstm network, not a relu lstm"):
        target.load_state_dict(state, activation="relu")
    np.testing.assert_array_equal(target.parameters(), before)  # unchanged


def plain_torch_state(cell, seed=0):
    torch.manual_seed(seed)
    rnn = {"vanilla": torch.nn.RNN, "gru": torch.nn.GRU, "lstm": torch.nn.LSTM}[cell](
        N_INPUT, N_HIDDEN, dtype=torch.float64)
    readout = torch.nn.Linear(N_HIDDEN, N_OUTPUT, dtype=torch.float64)
    state = dict(rnn.state_dict())
    state.update({"readout." + k: v for k, v in readout.state_dict().items()})
    return state


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_plain_torch_gru_lstm_state_dict_loads_only_as_tanh(cell):
    state = plain_torch_state(cell)
    network(cell, "tanh").load_state_dict(state)  # nn.GRU / nn.LSTM are tanh
    for activation in ["relu", "softplus", "linear"]:
        target = network(cell, activation)
        before = target.parameters()
        with pytest.raises(ValueError, match=f"activation='{activation}'"):
            target.load_state_dict(state)
        np.testing.assert_array_equal(target.parameters(), before)
        # Named by the caller, it loads.
        target.load_state_dict(state, activation=activation)
        assert not np.array_equal(target.parameters(), before)


def test_plain_state_dict_of_cells_torch_lacks_needs_the_activation_named():
    ugrnn = network("ugrnn", "tanh")
    state = ugrnn.state_dict()  # Network.state_dict records nothing
    with pytest.raises(ValueError, match="none is a UGRNN"):
        network("ugrnn", "tanh", seed=2).load_state_dict(state)
    network("ugrnn", "tanh", seed=2).load_state_dict(state, activation="tanh")
    with pytest.raises(ValueError, match="activation = 'relu' but the network is a tanh ugrnn"):
        network("ugrnn", "tanh", seed=2).load_state_dict(state, activation="relu")
    vanilla = plain_torch_state("vanilla")
    network("vanilla", "relu").load_state_dict(vanilla)  # nn.RNN is tanh or relu
    with pytest.raises(ValueError, match="activation='softplus'"):
        network("vanilla", "softplus").load_state_dict(vanilla)


def test_malformed_record_is_refused():
    state = rt.to_torch(network("gru", "tanh")).state_dict()
    state["_extra_state"] = "gru"
    with pytest.raises(ValueError, match="not an rnnatlas record"):
        network("gru", "tanh").load_state_dict(state)
