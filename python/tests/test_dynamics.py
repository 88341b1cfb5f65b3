"""rnnatlas.find_fixed_points, linearize, sample_initial_states and find_transitions: known answers
on a network whose fixed points are known in closed form, layouts and error reporting."""

import numpy as np
import pytest

import rnnatlas


def scaled_identity_tanh(n_hidden=2, a=2.0):
    """h <- tanh(a h): fixed points at every coordinate in {-x*, 0, x*}, x* = tanh(a x*)."""
    net = rnnatlas.Network("vanilla", 1, n_hidden, 1, activation="tanh")
    state = {name: np.zeros_like(value) for name, value in net.state_dict().items()}
    state["weight_hh_l0"] = a * np.eye(n_hidden)
    net.load_state_dict(state)
    return net


def tanh_fixed_point(a=2.0):
    x = 1.0
    for _ in range(200):
        x = np.tanh(a * x)
    return x


@pytest.fixture(scope="module")
def found():
    net = scaled_identity_tanh()
    initial = np.random.RandomState(0).randn(256, 2)
    return net, rnnatlas.find_fixed_points(net, initial, np.zeros(1))


def test_finds_the_nine_fixed_points_of_tanh_2h(found):
    _, result = found
    points = result.points
    assert points.n_points == 9, result.summary.brief_report()
    assert points.states.shape == (9, 2)
    assert np.all(points.q < 1e-20)
    assert not points.is_slow.any() and points.is_slow.dtype == np.bool_
    assert np.all(np.diff(points.q) >= 0)  # sorted by q
    x_star = tanh_fixed_point()
    expected = {(i, j) for i in (-1, 0, 1) for j in (-1, 0, 1)}
    got = {tuple(int(v) for v in np.rint(row / x_star)) for row in points.states}
    assert got == expected
    np.testing.assert_allclose(np.abs(points.states[np.abs(points.states) > 0.5]), x_star,
                               atol=1e-10)
    assert result.summary.n_points == 9 and result.summary.n_candidates == 256
    assert result.summary.termination == "completed"
    assert "9 points" in result.summary.brief_report()
    assert result.summary.n_merged == 256 - 9
    assert points.initial_index.shape == (9,) and points.n_merged.sum() == 256


def test_stability_of_the_nine_points(found):
    net, result = found
    lins = rnnatlas.linearize(net, result.points)
    assert len(lins) == 9
    classes = [lin.stability for lin in lins]
    assert classes.count("stable") == 4  # the corners
    assert classes.count("saddle") == 4
    assert classes.count("unstable") == 1  # the origin
    for lin, state in zip(lins, result.points.states):
        n_zero = int(np.sum(np.abs(state) < 0.5))
        assert lin.n_unstable == n_zero
        assert lin.unstable_modes() == list(range(n_zero))  # |lambda| = 2 sorts first
        assert lin.eigenvalues.dtype == np.complex128
        # J = diag(2 (1 - tanh^2(2 s))) for this network.
        np.testing.assert_allclose(np.sort(lin.eigenvalues.real),
                                   np.sort(2 * (1 - np.tanh(2 * state) ** 2)), atol=1e-12)


def test_linearize_one_point_matches_eigen_decomposition():
    net = rnnatlas.Network("gru", 2, 4, 1, seed=3)
    state = np.random.RandomState(1).randn(4) * 0.3
    lin = rnnatlas.linearize(net, state, np.array([0.2, -0.1]))
    J = net.state_jacobian(state, np.array([0.2, -0.1]))
    np.testing.assert_allclose(lin.J, J, atol=1e-14)
    R, L = lin.right_eigenvectors, lin.left_eigenvectors
    np.testing.assert_allclose(J @ R, R * lin.eigenvalues, atol=1e-10)
    np.testing.assert_allclose(L.T @ R, np.eye(4), atol=1e-8)
    assert np.all(np.diff(np.abs(lin.eigenvalues)) <= 1e-12)  # |lambda| descending
    np.testing.assert_allclose(lin.frequencies(), np.abs(np.angle(lin.eigenvalues)), atol=1e-12)
    assert lin.stability in ("stable", "marginal", "saddle", "unstable")


def test_transitions_lead_from_the_origin_to_saddles_and_corners(found):
    net, result = found
    graph = rnnatlas.find_transitions(net, result.points)
    weights = np.asarray(graph.weights)
    assert weights.shape == (9, 9)
    assert graph.n_unresolved == 0 and graph.n_unmatched == 0
    assert np.count_nonzero(weights) == 12
    assert all(t.to >= 0 and t.settled for t in graph.transitions)


def test_options_and_objective():
    net = scaled_identity_tanh()
    x_star = tanh_fixed_point()
    q, grad = rnnatlas._core.fixed_point_objective(net, np.array([[x_star, 0.0], [0.5, 0.5]]),
                                                   np.zeros(1))
    assert q.shape == (2,) and grad.shape == (2, 2)
    assert q[0] < 1e-25
    s = np.array([0.5, 0.5])
    np.testing.assert_allclose(q[1], 0.5 * np.sum((np.tanh(2 * s) - s) ** 2), rtol=1e-14)
    # Newton off and few Adam iterations: slow points are flagged, not errors.
    result = rnnatlas.find_fixed_points(net, np.array([[0.3, -0.2]]), max_iters=3,
                                        outlier_distance_scale=0.0, newton={"enabled": False})
    assert result.points.n_points == 1 and result.points.is_slow[0]
    assert result.points.stop == ["max_iters"]


def test_sample_initial_states_shapes_and_determinism():
    net = rnnatlas.Network("vanilla", 3, 5, 3, seed=1)
    task = rnnatlas.make_task("flip_flop", n_bits=3, n_time=20)
    a = rnnatlas.sample_initial_states(net, task, n_states=40, n_trials=4, seed=7)
    b = rnnatlas.sample_initial_states(net, task, n_states=40, n_trials=4, seed=7)
    assert a.shape == (40, 5)
    np.testing.assert_array_equal(a, b)
    pool = np.arange(12.0).reshape(4, 3)
    drawn = rnnatlas.sample_initial_states(pool, n_states=10, noise_scale=0.0)
    assert drawn.shape == (10, 3)
    assert all(any(np.array_equal(row, p) for p in pool) for row in drawn)


def test_bad_inputs_raise_value_errors_naming_the_problem():
    net = scaled_identity_tanh()
    with pytest.raises(ValueError, match=r"initial_states must have shape \[n, 2\]"):
        rnnatlas.find_fixed_points(net, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="tol_q"):
        rnnatlas.find_fixed_points(net, np.zeros((4, 2)), tol_q=-1.0)
    with pytest.raises(rnnatlas.InvalidArgument):
        rnnatlas.find_fixed_points(net, np.full((4, 2), np.nan))
    with pytest.raises(TypeError, match="unknown fixed-point option 'tolq'"):
        rnnatlas.find_fixed_points(net, np.zeros((4, 2)), tolq=1.0)
    with pytest.raises(TypeError, match="unknown fixed-point.newton option 'foo'"):
        rnnatlas.find_fixed_points(net, np.zeros((4, 2)), newton={"foo": 1})
