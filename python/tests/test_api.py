"""The rnnatlas Python API: shapes, layouts, determinism, round trips, derivatives, training and
error reporting."""

import copy
import pickle
import threading
import time

import numpy as np
import pytest

import rnnatlas

ARCHS = ["vanilla", "ugrnn", "gru", "lstm"]


def net_of(arch, activation="tanh", seed=0, n_input=3, n_hidden=6, n_output=2):
    return rnnatlas.Network(arch, n_input, n_hidden, n_output, activation=activation, seed=seed)


# ---- tasks -----------------------------------------------------------------------------------


def test_module_has_a_version():
    assert isinstance(rnnatlas.__version__, str) and rnnatlas.__version__.count(".") == 2


def test_task_sizes_and_batch_shapes():
    task = rnnatlas.make_task("flip_flop", n_bits=3, n_time=25)
    assert (task.name, task.n_input, task.n_output, task.n_time) == ("flip_flop", 3, 3, 25)
    batch = task.sample(5, seed=1)
    assert (batch.n_batch, batch.n_time, batch.n_input, batch.n_output) == (5, 25, 3, 3)
    for array, channels in [(batch.inputs, 3), (batch.targets, 3), (batch.mask, 3)]:
        assert array.shape == (5, 25, channels)
        assert array.dtype == np.float64


def test_task_params_rebuild_the_same_task():
    task = rnnatlas.make_task("sine_wave", n_time=40, n_frequencies=5)
    params = task.params()
    assert params["n_time"] == 40 and params["n_frequencies"] == 5
    again = rnnatlas.make_task(task.name, **params)
    assert again.params() == params
    np.testing.assert_array_equal(again.sample(3, seed=2).targets, task.sample(3, seed=2).targets)


def test_sampling_is_deterministic_and_prefix_stable():
    task = rnnatlas.make_task("context_integration", n_time=20)
    a, b = task.sample(10, seed=7), task.sample(10, seed=7, n_threads=2)
    small = task.sample(4, seed=7)
    for name in ["inputs", "targets", "mask"]:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(getattr(small, name), getattr(a, name)[:4])
    assert not np.array_equal(task.sample(4, seed=8).inputs, small.inputs)


def test_flip_flop_targets_follow_the_inputs_in_batch_major_layout():
    # Holds only if inputs and targets are laid out [n_batch, n_time, channel] consistently.
    batch = rnnatlas.make_task("flip_flop", n_bits=2, n_time=40, pulse_probability=0.2).sample(6, seed=3)
    x, y = batch.inputs, batch.targets
    expected = np.zeros_like(y)
    for b in range(6):
        for c in range(2):
            last = 0.0
            for t in range(40):
                if x[b, t, c] != 0:
                    last = np.sign(x[b, t, c])
                expected[b, t, c] = last
    np.testing.assert_array_equal(y, expected)
    assert np.count_nonzero(x) > 6 * 2  # pulses beyond the forced ones at t = 0


def test_batch_arrays_share_the_batch_memory():
    batch = rnnatlas.make_task("flip_flop", n_time=10).sample(3, seed=0)
    inputs = batch.inputs
    inputs[1, 2, 0] = 42.0
    assert batch.inputs[1, 2, 0] == 42.0
    del batch  # the view keeps the data alive
    assert inputs[1, 2, 0] == 42.0


# ---- networks --------------------------------------------------------------------------------


@pytest.mark.parametrize("arch", ARCHS)
def test_network_properties_and_state_dict_shapes(arch):
    net = net_of(arch, activation="relu")
    gates = {"vanilla": 1, "ugrnn": 2, "gru": 3, "lstm": 4}[arch]
    assert (net.cell, net.activation) == (arch, "relu")
    with pytest.warns(DeprecationWarning, match="Network.cell"):
        assert net.arch == arch  # the old name of cell
    assert (net.n_input, net.n_hidden, net.n_output) == (3, 6, 2)
    assert net.n_state == (12 if arch == "lstm" else 6)
    state = net.state_dict()
    assert list(state) == net.parameter_names()
    assert state["weight_ih_l0"].shape == (gates * 6, 3)
    assert state["weight_hh_l0"].shape == (gates * 6, 6)
    assert state["readout.weight"].shape == (2, 6)
    assert state["readout.bias"].shape == (2,)
    assert all(v.ndim == 1 for k, v in state.items() if "bias" in k)
    assert sum(v.size for v in state.values()) == net.n_params
    np.testing.assert_array_equal(np.concatenate([v.ravel() for v in state.values()]), net.parameters())


@pytest.mark.parametrize("arch", ARCHS)
def test_state_dict_round_trip(arch):
    source, target = net_of(arch, seed=1), net_of(arch, seed=2)
    assert not np.array_equal(source.parameters(), target.parameters())
    # Network.state_dict() does not record the activation: a UGRNN's must be named (rnnatlas.torch).
    target.load_state_dict(source.state_dict(), activation=source.activation)
    np.testing.assert_array_equal(target.parameters(), source.parameters())
    # float32 arrays are accepted and widened.
    target.load_state_dict({k: v.astype(np.float32) for k, v in net_of(arch, seed=3).state_dict().items()},
                           activation="tanh")
    np.testing.assert_array_equal(
        target.parameters(), net_of(arch, seed=3).parameters().astype(np.float32).astype(np.float64)
    )


def test_parameters_round_trip_and_copies():
    net = net_of("gru", seed=4)
    theta = net.parameters()
    theta[0] += 1.0  # a copy: the network is unchanged
    assert net.parameters()[0] == theta[0] - 1.0
    net.set_parameters(theta)
    assert net.parameters()[0] == theta[0]
    for clone in [copy.copy(net), copy.deepcopy(net), pickle.loads(pickle.dumps(net))]:
        np.testing.assert_array_equal(clone.parameters(), net.parameters())
        assert (clone.cell, clone.n_hidden) == ("gru", 6)


@pytest.mark.parametrize("arch", ARCHS)
def test_save_and_load_are_bit_identical(arch, tmp_path):
    net = net_of(arch, activation="softplus", seed=5)
    path = tmp_path / f"{arch}.h5"
    net.save(path)
    loaded = rnnatlas.load_network(str(path))
    assert (loaded.cell, loaded.activation, loaded.n_input, loaded.n_hidden, loaded.n_output) == (
        arch, "softplus", 3, 6, 2)
    np.testing.assert_array_equal(loaded.parameters(), net.parameters())


@pytest.mark.parametrize("arch", ARCHS)
def test_run_agrees_with_repeated_steps_and_with_single_trials(arch):
    net = net_of(arch, seed=6)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 12, 3))
    s0 = rng.normal(scale=0.5, size=(3, net.n_state))
    states, outputs = net.run(x, s0)
    assert states.shape == (3, 12, net.n_state) and outputs.shape == (3, 12, 2)
    assert states.dtype == outputs.dtype == np.float64
    for b in range(3):
        s = s0[b]
        for t in range(12):
            s = net.step(s, x[b, t])
            np.testing.assert_allclose(states[b, t], s, rtol=0, atol=1e-12)
        single_states, single_outputs = net.run(x[b], s0[b])
        assert single_states.shape == (12, net.n_state)
        np.testing.assert_allclose(single_states, states[b], rtol=0, atol=1e-12)
        np.testing.assert_allclose(single_outputs, outputs[b], rtol=0, atol=1e-12)
    np.testing.assert_allclose(net.readout(states.reshape(-1, net.n_state)), outputs.reshape(-1, 2),
                               rtol=0, atol=1e-12)


def test_run_defaults_to_zero_state_and_broadcasts_a_single_state():
    net = net_of("lstm", seed=7)
    x = np.random.default_rng(1).normal(size=(2, 5, 3))
    zero = net.run(x)[0]
    np.testing.assert_array_equal(zero, net.run(x, np.zeros(net.n_state))[0])
    s0 = np.linspace(-0.5, 0.5, net.n_state)
    np.testing.assert_array_equal(net.run(x, s0)[0], net.run(x, np.stack([s0, s0]))[0])
    # Strided views are read through their strides.
    wide = np.random.default_rng(2).normal(size=(net.n_state, 3))
    np.testing.assert_array_equal(net.run(x, wide[:, 1])[0], net.run(x, wide[:, 1].copy())[0])
    x_t = np.ascontiguousarray(x.transpose(1, 0, 2)).transpose(1, 0, 2)
    assert not x_t.flags.c_contiguous
    np.testing.assert_array_equal(net.run(x_t)[0], zero)
    # float32 inputs are converted.
    np.testing.assert_allclose(net.run(x.astype(np.float32))[0], net.run(x.astype(np.float32).astype(np.float64))[0])


def central_difference_jacobian(f, z, h=1e-6):
    columns = []
    for i in range(z.size):
        dz = np.zeros_like(z)
        dz[i] = h
        columns.append((f(z + dz) - f(z - dz)) / (2 * h))
    return np.stack(columns, axis=1)


@pytest.mark.parametrize("activation", ["tanh", "relu", "softplus"])
@pytest.mark.parametrize("arch", ARCHS)
def test_jacobians_match_central_differences(arch, activation):
    net = net_of(arch, activation=activation, seed=9)
    rng = np.random.default_rng(10)
    s = rng.normal(scale=0.5, size=net.n_state)
    x = rng.normal(size=3)
    j_state = net.state_jacobian(s, x)
    j_input = net.input_jacobian(s, x)
    assert j_state.shape == (net.n_state, net.n_state) and j_input.shape == (net.n_state, 3)
    np.testing.assert_allclose(j_state, central_difference_jacobian(lambda z: net.step(z, x), s),
                               rtol=0, atol=1e-7)
    np.testing.assert_allclose(j_input, central_difference_jacobian(lambda z: net.step(s, z), x),
                               rtol=0, atol=1e-7)


# ---- training --------------------------------------------------------------------------------


def test_training_on_flip_flop_reduces_the_loss(tmp_path):
    task = rnnatlas.make_task("flip_flop", n_bits=3, n_time=30)
    net = rnnatlas.Network("gru", 3, 16, 3, seed=1)
    seen = []
    summary = rnnatlas.train(net, task, n_iterations=200, n_batch=64, learning_rate=1e-2,
                             progress_every=50, progress=lambda p: seen.append(p.iteration))
    assert summary.termination == "completed", summary.message
    assert summary.n_iterations_done == 200
    loss = summary.loss_history
    assert loss.shape == (200,) and loss.dtype == np.float64
    assert loss[-20:].mean() < loss[:20].mean() / 2
    assert seen[-1] == 200 and seen == sorted(seen) and len(seen) >= 4
    assert summary.seconds > 0
    metrics = rnnatlas.evaluate(net, task, n_batch=64)
    assert metrics.sign_accuracy > 0.8 and metrics.mse < loss[:20].mean()
    assert summary.eval.n_trials == 256 and np.isfinite(summary.eval.normalized_mse)

    # The full record survives a round trip through a file.
    options = rnnatlas.train_options(n_iterations=200, n_batch=64, learning_rate=1e-2)
    path = tmp_path / "trained.h5"
    rnnatlas.save_network(path, net, task=task, options=options, summary=summary, init_seed=1)
    record = rnnatlas.load_network_record(path)
    assert record.task_name == "flip_flop" and record.task_params == task.params()
    assert record.init_seed == 1 and record.library_version == rnnatlas.__version__
    assert record.train_options.learning_rate == 1e-2 and record.train_options.n_batch == 64
    assert record.summary.termination == "completed"
    np.testing.assert_array_equal(record.summary.loss_history, loss)
    assert record.summary.eval.mse == summary.eval.mse
    np.testing.assert_array_equal(record.network.parameters(), net.parameters())


def test_training_is_reproducible():
    task = rnnatlas.make_task("sine_wave", n_time=20)
    nets = [rnnatlas.Network("vanilla", 1, 8, 1, seed=2) for _ in range(2)]
    summaries = [rnnatlas.train(n, task, n_iterations=15, n_batch=8, seed=3) for n in nets]
    np.testing.assert_array_equal(summaries[0].loss_history, summaries[1].loss_history)
    np.testing.assert_array_equal(nets[0].parameters(), nets[1].parameters())


def test_progress_callback_exception_stops_training():
    task = rnnatlas.make_task("flip_flop", n_time=10)
    net = rnnatlas.Network("gru", 3, 4, 3)

    def stop(progress):
        raise KeyError(f"stop at {progress.iteration}")

    with pytest.raises(KeyError, match="stop at 5"):
        rnnatlas.train(net, task, n_iterations=50, n_batch=4, progress_every=5, progress=stop)


def test_train_options_expose_every_field():
    options = rnnatlas.TrainOptions()
    assert (options.n_iterations, options.n_batch, options.learning_rate) == (2000, 128, 1e-3)
    options.l2 = 1e-4
    assert options.l2 == 1e-4
    options.validate()
    options.adam_beta1 = 1.0
    with pytest.raises(ValueError, match="adam_beta1"):
        options.validate()


# ---- errors ----------------------------------------------------------------------------------


def test_unknown_cell_name_lists_the_allowed_ones():
    with pytest.raises(ValueError) as error:
        rnnatlas.Network("foo", 3, 8, 2)
    assert isinstance(error.value, rnnatlas.InvalidArgument)
    for name in ["foo", "vanilla", "ugrnn", "gru", "lstm"]:
        assert name in str(error.value)
    with pytest.raises(ValueError, match="softplus"):
        rnnatlas.Network("gru", 3, 8, 2, activation="sigmoid")


def test_invalid_sizes_are_value_errors():
    with pytest.raises(ValueError, match="n_hidden"):
        rnnatlas.Network("gru", 3, 0, 2)
    with pytest.raises(ValueError, match="n_input"):
        rnnatlas.Network("gru", 0, 4, 2)


def test_missing_file_is_an_os_error_naming_the_path(tmp_path):
    path = tmp_path / "missing.h5"
    with pytest.raises(OSError, match="missing.h5") as error:
        rnnatlas.load_network(path)
    assert isinstance(error.value, rnnatlas.IoError)
    corrupt = tmp_path / "corrupt.h5"
    corrupt.write_bytes(b"not an hdf5 file" * 10)
    with pytest.raises(OSError, match="corrupt.h5"):
        rnnatlas.load_network(corrupt)
    with pytest.raises(OSError, match="no_such_dir"):
        net_of("gru").save(tmp_path / "no_such_dir" / "net.h5")


def test_load_state_dict_reports_shapes_and_keys():
    net = net_of("gru")
    before = net.parameters()
    state = net.state_dict()
    state["weight_hh_l0"] = np.zeros((18, 5))
    with pytest.raises(ValueError) as error:
        net.load_state_dict(state)
    assert "weight_hh_l0" in str(error.value)
    assert "(18, 5)" in str(error.value) and "(18, 6)" in str(error.value)

    state = net.state_dict()
    state["bias_ih_l0"] = state["bias_ih_l0"][:, None]  # [18, 1] is not PyTorch's [18]
    with pytest.raises(ValueError, match=r"bias_ih_l0.*\(18, 1\).*\(18,\)"):
        net.load_state_dict(state)

    state = net.state_dict()
    del state["readout.bias"]
    state["weight_ih_l1"] = np.zeros((18, 3))
    with pytest.raises(ValueError) as error:
        net.load_state_dict(state)
    assert "readout.bias" in str(error.value) and "weight_ih_l1" in str(error.value)

    state = net.state_dict()
    state["weight_ih_l0"] = np.full((18, 3), np.nan)
    with pytest.raises(ValueError):
        net.load_state_dict(state)
    np.testing.assert_array_equal(net.parameters(), before)  # unchanged by every failure


def test_shape_errors_in_run_and_step():
    net = net_of("vanilla")
    with pytest.raises(ValueError, match="inputs"):
        net.run(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="initial_state"):
        net.run(np.zeros((2, 5, 3)), np.zeros((3, 6)))
    with pytest.raises(ValueError):
        net.step(np.zeros(5), np.zeros(3))


def test_invalid_training_options_are_named():
    task = rnnatlas.make_task("flip_flop", n_time=10)
    net = rnnatlas.Network("gru", 3, 4, 3)
    with pytest.raises(ValueError, match="learning_rate"):
        rnnatlas.train(net, task, learning_rate=-1)
    with pytest.raises(TypeError, match="learning_rat\\b"):
        rnnatlas.train(net, task, learning_rat=1e-3)
    with pytest.raises(TypeError, match="n_batch"):
        rnnatlas.train(net, task, n_batch="many")
    with pytest.raises(ValueError):  # task and network sizes differ
        rnnatlas.train(rnnatlas.Network("gru", 2, 4, 3), task, n_iterations=1)


def test_task_errors_are_named():
    with pytest.raises(ValueError, match="flip_flop"):
        rnnatlas.make_task("flop")
    with pytest.raises(ValueError, match="n_bitz"):
        rnnatlas.make_task("flip_flop", n_bitz=3)
    with pytest.raises(ValueError, match="n_time"):
        rnnatlas.make_task("flip_flop", n_time=0)


# ---- threads ---------------------------------------------------------------------------------


def longest_stall_of_this_thread(work):
    """Runs `work` on another thread and returns (longest pause of this thread's loop, duration).
    A call that keeps the GIL stalls this thread for its whole duration."""
    thread = threading.Thread(target=work)
    start = last = time.perf_counter()
    thread.start()
    longest = 0.0
    while thread.is_alive():
        now = time.perf_counter()
        longest, last = max(longest, now - last), now
    return longest, time.perf_counter() - start


def test_run_and_train_release_the_gil():
    net = rnnatlas.Network("lstm", 3, 64, 3)
    inputs = np.random.default_rng(0).normal(size=(128, 200, 3))
    task = rnnatlas.make_task("flip_flop", n_time=50)
    for work in [lambda: net.run(inputs),
                 lambda: rnnatlas.train(net, task, n_iterations=10, n_batch=64, n_eval_batch=8)]:
        stall, duration = longest_stall_of_this_thread(work)
        assert duration > 0.05  # long enough for the check to mean something
        assert stall < duration / 2, f"stalled {stall:.3f} s of {duration:.3f} s"
