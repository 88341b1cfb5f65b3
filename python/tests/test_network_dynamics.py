"""rnnatlas.analyze_network, load_dynamics and save_dynamics: the network analysis of `rnnatlas
dynamics` from Python. Known answers on hand-built networks (a perfect flip-flop, an oscillator
whose unstable focus leads to a limit cycle), agreement with the library's pieces (linearize,
classify_attractors), and the same numbers as the file `rnnatlas dynamics` writes for a trained
network."""

import os
import pathlib
import subprocess

import numpy as np
import pytest

import rnnatlas


def vanilla_tanh(w_hh, w_ih, w_out):
    """h' = tanh(W_hh h + W_ih u), y = W_out h, every other parameter zero."""
    w_hh, w_ih, w_out = (np.atleast_2d(np.asarray(w, dtype=float)) for w in (w_hh, w_ih, w_out))
    net = rnnatlas.Network("vanilla", w_ih.shape[1], w_hh.shape[0], w_out.shape[0],
                           activation="tanh")
    state = {name: np.zeros_like(value) for name, value in net.state_dict().items()}
    state["weight_hh_l0"] = w_hh
    state["weight_ih_l0"] = w_ih
    state["readout.weight"] = w_out
    net.load_state_dict(state)
    return net


def perfect_flip_flop():
    """h' = tanh(2 h + 3 u), y = h: 27 fixed points, 8 stable corners (analysis_testing.h)."""
    eye = np.eye(3)
    return vanilla_tanh(2 * eye, 3 * eye, eye)


def oscillator(theta=0.3, r=1.05):
    """h' = tanh(r R(theta) h), input unused, y = h_0: an unstable focus at the origin and an
    attracting invariant curve around it."""
    c, s = np.cos(theta), np.sin(theta)
    return vanilla_tanh(r * np.array([[c, -s], [s, c]]), np.zeros((2, 1)), [[1.0, 0.0]])


QUICK = dict(n_initial_states=32, n_trials=4, fixed_points={"max_iters": 100},
             transitions={"max_steps": 200}, frequency_measure_steps=100)


@pytest.fixture(scope="module")
def flip_flop():
    net = perfect_flip_flop()
    task = rnnatlas.make_task("flip_flop")
    d = rnnatlas.analyze_network(net, task, n_initial_states=256, noise_scale=1.0,
                                 fixed_points={"lr_initial": 1.0}, transitions={"max_steps": 500})
    return net, task, d


def test_perfect_flip_flop_has_the_ideal_scaffold(flip_flop):
    _, _, d = flip_flop
    assert isinstance(d, rnnatlas.NetworkDynamics)
    assert d.task == "flip_flop" and d.cell == "vanilla" and d.n_state == 3
    assert d.sine_wave is None and d.context_integration is None
    assert len(d.conditions) == 1
    c = d.conditions[0]
    assert c.label == "zero input" and c.n_points == 27
    assert c.states.shape == (27, 3) and c.states.dtype == np.float64
    assert np.all(c.q < 1e-20) and not c.is_slow.any() and c.is_slow.dtype == np.bool_
    assert c.stability.count("stable") == 8 and c.stability.count("unstable") == 1
    assert c.count("saddle") == 18
    a = d.flip_flop
    assert (a.n_stable, a.n_stable_corners, a.n_saddles) == (8, 8, 18)
    np.testing.assert_array_equal(a.count_by_unstable, [8, 12, 6, 1])
    assert (a.corner_transitions_one_bit, a.corner_transitions_total) == (12, 12)
    assert a.labels.shape == (27, 3)
    # Transitions: origin -> 6 two-zero saddles -> 12 one-zero saddles (24) -> corners (24).
    assert c.transitions.shape == (27, 27) and c.transitions.sum() == 54
    assert c.n_unresolved == 0 and c.limit_cycles == []
    assert c.cycle_transitions.shape == (27, 0)
    np.testing.assert_array_equal(d.topology.signature, [[8, 12, 6, 1, 0, 0, 0, 0, 0, 0, 0]])
    assert d.topology.label_graph.shape == (27, 27)
    assert d.seconds > 0


def test_fields_agree_with_the_library_pieces(flip_flop):
    net, task, d = flip_flop
    c = d.conditions[0]
    # Eigenvalues and stability are those of linearize() at each point.
    assert c.eigenvalues.shape == (c.n_points, 3) and c.eigenvalues.dtype == np.complex128
    for p in range(c.n_points):
        lin = rnnatlas.linearize(net, c.states[p], c.input)
        np.testing.assert_array_equal(c.eigenvalues[p], lin.eigenvalues)
        assert c.stability[p] == lin.stability and c.n_unstable[p] == lin.n_unstable
    np.testing.assert_allclose(c.readout, net.readout(c.states), rtol=0, atol=1e-15)
    # The example trajectories are the task's held-out trials run through the network.
    e = d.trajectories
    batch = task.sample(e.n_trials, d.options.seed)
    np.testing.assert_array_equal(e.inputs, batch.inputs)
    states, outputs = net.run(batch.inputs)
    np.testing.assert_array_equal(e.states, states)
    np.testing.assert_array_equal(e.outputs, outputs)
    assert e.states.shape == (d.options.n_trials, batch.n_time, 3)


def test_transitions_from_an_unstable_focus_reach_its_limit_cycle():
    net = oscillator()
    task = rnnatlas.make_task("sine_wave", n_frequencies=3, n_time=30)
    d = rnnatlas.analyze_network(net, task, n_initial_states=16, input_stride=2,
                                 transitions={"max_steps": 500})
    reference = rnnatlas.classify_attractors(net, [[0.7, -0.2]]).runs[0]
    assert reference.kind == "invariant_curve"
    assert len(d.conditions) == 2  # j = 1, 3
    for c in d.conditions:
        origin = [p for p in range(c.n_points)
                  if not c.is_slow[p] and np.linalg.norm(c.states[p]) < 1e-8]
        assert len(origin) == 1
        assert len(c.limit_cycles) == 1 and c.n_unresolved == 0
        assert c.cycle_transitions.shape == (c.n_points, 1)
        assert c.cycle_transitions[origin[0], 0] == 4 and c.cycle_transitions.sum() == 4
        cycle = c.limit_cycles[0]
        assert cycle.kind == "invariant_curve" and cycle.stability == "stable"
        assert cycle.frequency == pytest.approx(reference.curve.frequency, abs=1e-9)
        assert cycle.period == pytest.approx(2 * np.pi / cycle.frequency)
        assert cycle.multipliers.size == 0 and cycle.state.shape == (2,)
        assert cycle.amplitude.rms_radius == pytest.approx(reference.curve.amplitude.rms_radius,
                                                           abs=1e-9)
    np.testing.assert_allclose(d.sine_wave.predicted_frequency, 0.3, atol=1e-12)


def test_find_transitions_records_the_limit_cycle_and_each_run():
    net = vanilla_tanh([[-1.5]], [[0.0]], [[1.0]])  # h' = tanh(-1.5 h): the orbit c -> -c
    result = rnnatlas.find_fixed_points(net, np.zeros((1, 1)))
    graph = rnnatlas.find_transitions(net, result.points)
    assert [t.attractor for t in graph.transitions] == ["periodic_orbit"] * 2
    assert [t.cycle for t in graph.transitions] == [0, 0]
    np.testing.assert_array_equal(graph.cycle_weights, [[2]])
    cycle = graph.cycles[0]
    c = 1.0
    for _ in range(500):
        c = np.tanh(1.5 * c)
    assert (cycle.kind, cycle.period, cycle.stability) == ("periodic_orbit", 2.0, "stable")
    assert cycle.frequency == pytest.approx(np.pi, abs=1e-15)
    assert cycle.multipliers[0] == pytest.approx((1.5 * (1 - c * c)) ** 2, abs=1e-12)
    none = rnnatlas.find_transitions(net, result.points, find_limit_cycles=False)
    assert none.cycles == [] and none.n_unresolved == 2
    assert [t.attractor for t in none.transitions] == ["unresolved"] * 2


def assert_same_dynamics(a, b):
    """Every number of two NetworkDynamics equal (NaN equal to NaN)."""
    assert (a.task, a.cell, a.n_hidden, a.network_id) == (b.task, b.cell, b.n_hidden, b.network_id)
    assert len(a.conditions) == len(b.conditions)
    for x, y in zip(a.conditions, b.conditions):
        for name in ("input", "states", "q", "is_slow", "eigenvalues", "n_unstable",
                     "leading_frequency", "readout", "transitions", "cycle_transitions"):
            np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)
        assert x.stability == y.stability and x.label == y.label
        assert (x.n_unresolved, x.n_unmatched, x.n_candidates) == (
            y.n_unresolved, y.n_unmatched, y.n_candidates)
        assert len(x.limit_cycles) == len(y.limit_cycles)
        for u, v in zip(x.limit_cycles, y.limit_cycles):
            assert (u.kind, u.period, u.frequency, u.stability) == (
                v.kind, v.period, v.frequency, v.stability)
            np.testing.assert_array_equal(u.state, v.state)
            np.testing.assert_array_equal(u.multipliers, v.multipliers)
            np.testing.assert_array_equal(u.lyapunov_exponents, v.lyapunov_exponents)
    for name in ("inputs", "targets", "outputs", "states"):
        np.testing.assert_array_equal(getattr(a.trajectories, name),
                                      getattr(b.trajectories, name))
    np.testing.assert_array_equal(a.topology.signature, b.topology.signature)
    np.testing.assert_array_equal(a.topology.label_graph, b.topology.label_graph)
    for analysis in ("flip_flop", "sine_wave", "context_integration"):
        x, y = getattr(a, analysis), getattr(b, analysis)
        assert (x is None) == (y is None)
        if x is None:
            continue
        for name in dir(x):
            if not name.startswith("_"):
                np.testing.assert_array_equal(getattr(x, name), getattr(y, name), err_msg=name)


def test_save_and_load_round_trip_exactly(tmp_path):
    d = rnnatlas.analyze_network(oscillator(), rnnatlas.make_task("sine_wave", n_frequencies=2,
                                                                  n_time=20), **QUICK)
    d.network_id = "oscillator"
    path = tmp_path / "oscillator.dynamics.h5"
    rnnatlas.save_dynamics(path, d)
    loaded = rnnatlas.load_dynamics(path)
    assert loaded.network_id == "oscillator" and loaded.seconds == 0
    assert loaded.options.transitions.find_limit_cycles
    assert_same_dynamics(d, loaded)


def cli_path():
    """The CLI of the same build tree as the imported package (<build>/python/rnnatlas)."""
    env = os.environ.get("RNNATLAS_CLI")
    if env:
        return pathlib.Path(env)
    return pathlib.Path(rnnatlas.__file__).resolve().parents[2] / "apps/rnnatlas/rnnatlas"


def the_cli():
    cli = cli_path()
    if not cli.is_file():
        pytest.skip(f"no rnnatlas CLI at {cli} (set RNNATLAS_CLI)")
    return cli


def flip_flop_network_file(tmp_path, n_iterations):
    """A small vanilla network trained on the flip-flop, saved as tmp_path/ff.h5: (path, task,
    network)."""
    task = rnnatlas.make_task("flip_flop", n_time=20)
    net = rnnatlas.Network("vanilla", 3, 6, 3, seed=4)
    summary = rnnatlas.train(net, task, n_iterations=n_iterations, n_batch=16, n_eval_batch=16)
    network_file = tmp_path / "ff.h5"
    rnnatlas.save_network(network_file, net, task=task, summary=summary)
    return network_file, task, net


def test_load_dynamics_of_the_cli_file_equals_analyze_network(tmp_path):
    cli = the_cli()
    network_file, task, net = flip_flop_network_file(tmp_path, n_iterations=40)
    out = tmp_path / "ff.dynamics.h5"
    result = subprocess.run(
        [str(cli), "dynamics", str(network_file), "--out", str(out), "--n-threads", "2", "-q",
         "--n-initial-states", "32", "--n-trials", "4", "--fixed-points.max-iters", "100",
         "--transitions.max-steps", "200", "--frequency-measure-steps", "100"],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    from_file = rnnatlas.load_dynamics(out)
    # The same analysis in-process (the CLI's options: QUICK; threads do not change the result).
    direct = rnnatlas.analyze_network(net, task, n_threads=1, **QUICK)
    direct.network_id = "ff"
    assert from_file.network_file == "ff.h5"
    assert from_file.options.n_initial_states == 32
    assert from_file.options.transitions.max_steps == 200
    assert_same_dynamics(direct, from_file)


def test_options_and_errors_name_the_problem(tmp_path):
    net = perfect_flip_flop()
    task = rnnatlas.make_task("flip_flop")
    with pytest.raises(TypeError, match="unknown analysis option 'n_initial'"):
        rnnatlas.analyze_network(net, task, n_initial=3)
    with pytest.raises(TypeError, match="unknown analysis.transitions.limit_cycles option 'foo'"):
        rnnatlas.analyze_network(net, task, transitions={"limit_cycles": {"foo": 1}})
    with pytest.raises(ValueError, match="^n_initial_states = 0: must be >= 1"):
        rnnatlas.analyze_network(net, task, n_initial_states=0)
    with pytest.raises(ValueError, match="^transitions.limit_cycles.max_period = 0") as error:
        rnnatlas.analyze_network(net, task, transitions={"limit_cycles": {"max_period": 0}})
    # The path of the option, as the keywords spell it, is also data on the error.
    assert isinstance(error.value, rnnatlas.InvalidArgument)
    assert error.value.field == "transitions.limit_cycles.max_period"
    with pytest.raises(ValueError, match="sine_wave"):
        rnnatlas.analyze_network(net, rnnatlas.make_task("sine_wave"))
    missing = tmp_path / "missing.h5"
    with pytest.raises(OSError, match="missing.h5"):
        rnnatlas.load_dynamics(missing)
    options = rnnatlas.AnalysisOptions()
    assert options.fixed_points.lr_initial == 0.01 and options.transitions.find_limit_cycles
    with pytest.raises(ValueError, match="stability = 'wobbly'"):
        rnnatlas.analyze_network(net, task, **QUICK).conditions[0].count("wobbly")


def get_path(options, path):
    for part in path.split("."):
        options = getattr(options, part)
    return options


def set_path(options, path, value):
    *parents, last = path.split(".")
    for part in parents:
        options = getattr(options, part)
    setattr(options, last, value)


def other_valid_value(options, field):
    """A value of `field` other than its default that keeps `options` valid, or None."""
    default = field["default"]
    if field["type"] == "int":
        candidates = [3, 5, 8, 17, default + 1]
    else:
        candidates = [default * 0.5, default * 0.9, default * 1.1, default + 0.01]
    for value in candidates:
        if value == default:
            continue
        set_path(options, field["name"], value)
        try:
            options.validate()
            return value
        except ValueError:
            set_path(options, field["name"], default)
    return None


def test_every_analysis_option_has_one_name_in_python_the_cli_and_the_file(tmp_path):
    """Each field of AnalysisOptions.schema() is the Python attribute at its path, the flag of
    `rnnatlas dynamics` named by the path, and the /options attribute of the file it writes: set
    every settable flag to a value other than its default and read the same values back."""
    cli = the_cli()
    schema = rnnatlas.AnalysisOptions.schema()
    defaults = rnnatlas.AnalysisOptions()
    for field in schema:
        assert get_path(defaults, field["name"]) == field["default"], field["name"]
    help_text = subprocess.run([str(cli), "dynamics", "--help"], capture_output=True, text=True,
                               check=True).stdout
    chosen = rnnatlas.AnalysisOptions()
    flags = []
    for field in schema:
        if not field["settable"]:
            continue
        flag = "--" + field["name"].replace("_", "-")
        assert f"{flag} " in help_text, flag
        if field["name"] == "seed":
            value = field["default"] + 1
            chosen.seed = value
        else:
            value = other_valid_value(chosen, field)
            assert value is not None, field["name"]
        flags += [flag, repr(value)]
    network_file, _, _ = flip_flop_network_file(tmp_path, n_iterations=20)
    out = tmp_path / "ff.dynamics.h5"
    result = subprocess.run([str(cli), "dynamics", str(network_file), "--out", str(out), "-q",
                             "--n-threads", "1", *flags], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    stored = rnnatlas.load_dynamics(out).options
    for field in schema:
        assert get_path(stored, field["name"]) == get_path(chosen, field["name"]), field["name"]
