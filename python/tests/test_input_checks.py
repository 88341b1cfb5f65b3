"""Inputs that would give silently wrong results are refused, and long calls say what they do:
NaN states and inputs, complex arrays, the package namespace, training progress."""

import io
import os
import pty
import re
import subprocess
import sys

import numpy as np
import pytest

import rnnatlas


@pytest.fixture
def net():
    return rnnatlas.Network("gru", 3, 4, 2, seed=1)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_states_and_inputs_are_refused(net, bad):
    s, x = np.zeros(4), np.zeros(3)
    s_bad, x_bad = s.copy(), x.copy()
    s_bad[1], x_bad[2] = bad, bad
    for method in (net.step, net.state_jacobian, net.input_jacobian):
        with pytest.raises(ValueError, match="state has non-finite values"):
            method(s_bad, x)
        with pytest.raises(ValueError, match="input has non-finite values"):
            method(s, x_bad)
    s0 = np.zeros((2, 4))
    s0[1, 3] = bad
    with pytest.raises(ValueError, match="initial state has non-finite values"):
        net.run(np.zeros((2, 5, 3)), s0)
    with pytest.raises(ValueError, match="initial state has non-finite values"):
        net.run(np.zeros((2, 5, 3)), s0[1])  # one state shared by the trials


def test_complex_arrays_are_refused_naming_the_argument(net):
    s, x = np.zeros(4), np.zeros(3)
    with pytest.raises(ValueError, match=r"state is complex .*\.real"):
        net.step(s + 0j, x)
    with pytest.raises(ValueError, match="input is complex"):
        net.state_jacobian(s, [0, 1j, 0])
    with pytest.raises(ValueError, match="input is complex"):
        net.input_jacobian(s, x.astype(np.complex64))
    with pytest.raises(ValueError, match="run: inputs is complex"):
        net.run(np.zeros((2, 5, 3), dtype=complex))
    with pytest.raises(ValueError, match="run: initial_state is complex"):
        net.run(np.zeros((2, 5, 3)), np.zeros(4, dtype=complex))
    with pytest.raises(ValueError, match="readout: states is complex"):
        net.readout(np.zeros((3, 4), dtype=complex))
    with pytest.raises(ValueError, match="set_parameters: parameters is complex"):
        net.set_parameters(net.parameters() + 0j)
    state = net.state_dict()
    state["weight_hh_l0"] = state["weight_hh_l0"] + 0j
    with pytest.raises(ValueError, match="'weight_hh_l0' is complex"):
        net.load_state_dict(state)
    # Real values of any real dtype and lists still work, and give the float64 result.
    np.testing.assert_array_equal(net.step(s.astype(np.float32), [0, 0, 0]), net.step(s, x))


def test_complex_arrays_are_refused_by_the_analyses(net):
    """Every entry point that takes arrays, not only the Network methods."""
    x = np.random.default_rng(0).standard_normal((30, 4))
    d = np.abs(x[:5, :1] - x[:5, :1].T)
    calls = {
        "find_fixed_points: initial_states": lambda: rnnatlas.find_fixed_points(
            net, np.zeros((2, 4), dtype=complex), np.zeros(3)),
        "sample_initial_states: pool": lambda: rnnatlas.sample_initial_states(
            np.zeros((5, 4), dtype=complex), n_states=3),
        "linearize: point": lambda: rnnatlas.linearize(net, np.zeros(4) + 0j, np.zeros(3)),
        "lyapunov_exponents: state": lambda: rnnatlas.lyapunov_exponents(
            net, np.zeros(4) + 0j, 10),
        "distance_matrix: activities[1]": lambda: rnnatlas.distance_matrix([x, x + 0j], "cka"),
        "cca: y": lambda: rnnatlas.similarity.cca(x, x + 0j),
        "svcca: x": lambda: rnnatlas.similarity.svcca(x + 0j, x, k=2),
        "cka: x": lambda: rnnatlas.similarity.cka(x + 0j, x),
        "shape_distance: y": lambda: rnnatlas.similarity.shape_distance(x, x + 0j),
        "mds: distances": lambda: rnnatlas.mds(d + 0j),
        "cluster_stats: distances": lambda: rnnatlas.cluster_stats(d + 0j, [0, 0, 1, 1, 1]),
        "mantel_test: b": lambda: rnnatlas.mantel_test(d, d + 0j),
    }
    for what, call in calls.items():
        with pytest.raises(ValueError, match=re.escape(f"{what} is complex")):
            call()


def test_namespace_lists_only_the_public_names():
    names = set(dir(rnnatlas))
    assert {"np", "os", "Any", "npt", "sys"}.isdisjoint(names)
    assert set(rnnatlas.__all__) <= names
    namespace = {}
    exec("from rnnatlas import *", namespace)
    assert {"np", "os", "Any"}.isdisjoint(namespace)


def small_training(progress, **options):
    task = rnnatlas.make_task("flip_flop", n_bits=1, n_time=10)
    net = rnnatlas.Network("vanilla", 1, 3, 1, seed=0)
    return rnnatlas.train(net, task, progress=progress, n_iterations=20, n_batch=4, **options)


def test_progress_true_reports_on_stderr_rate_limited(capsys):
    small_training(True, progress_every=1)
    err = capsys.readouterr().err.splitlines()
    # 20 iterations take far less than 0.5 s: the first report and the last one only.
    assert [line.split()[2] for line in err] == ["1/20", "20/20"], err


def test_progress_false_and_auto_without_terminal_are_silent(capsys):
    small_training(False)
    small_training(None)  # pytest's stderr is not a terminal
    assert capsys.readouterr().err == ""


def test_progress_callable_still_gets_every_report():
    seen = []
    small_training(seen.append, progress_every=5)
    assert [p.iteration for p in seen] == [5, 10, 15, 20]
    with pytest.raises(TypeError, match="progress"):
        small_training("yes")


def test_progress_auto_on_a_terminal_rewrites_one_line():
    """By default a terminal stderr gets the progress line, rewritten in place with \\r."""
    code = ("import rnnatlas; t = rnnatlas.make_task('flip_flop', n_bits=1, n_time=10); "
            "n = rnnatlas.Network('vanilla', 1, 3, 1); "
            "rnnatlas.train(n, t, n_iterations=20, n_batch=4)")
    leader, follower = pty.openpty()
    env = dict(os.environ)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    text = b"".join(chunks).decode()
    assert "\r" in text and "iteration 20/20" in text and text.endswith("\n"), repr(text)
