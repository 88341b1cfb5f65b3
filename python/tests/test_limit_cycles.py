"""rnnatlas.classify_attractors, refine_periodic_orbit, lyapunov_exponents, iterate_map and
analyze_curve: known answers on networks whose periodic orbits and invariant circles are known in
closed form, numpy layouts and error reporting."""

import numpy as np
import pytest

import rnnatlas


def recurrent_only(W, activation="tanh"):
    """h <- phi(W h), no biases, one unused input."""
    n = W.shape[0]
    net = rnnatlas.Network("vanilla", 1, n, 1, activation=activation)
    state = {name: np.zeros_like(value) for name, value in net.state_dict().items()}
    state["weight_hh_l0"] = np.asarray(W, dtype=np.float64)
    net.load_state_dict(state, activation=activation)
    return net


def rotation(theta, r=1.0):
    return r * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])


def tanh_root(a):
    """The positive root of c = tanh(a c), a > 1."""
    c = 1.0
    for _ in range(500):
        c = np.tanh(a * c)
    return c


A = 1.5
C = tanh_root(A)
D = 1.0 - C**2
ROTATING = np.array([[0.0, A], [-A, 0.0]])  # period-4 orbits, see limit_cycles_test.cc


def test_rotating_tanh_network_reaches_the_stable_period_four_orbit():
    net = recurrent_only(ROTATING)
    starts = np.random.RandomState(0).randn(6, 2)
    result = rnnatlas.classify_attractors(net, starts, n_transient=500, n_record=400)
    assert len(result) == 6
    assert result.kinds == ["periodic_orbit"] * 6, result.brief_report()
    assert result.counts["periodic_orbit"] == 6 and result.counts["chaotic"] == 0
    assert result.n_unique == 1
    np.testing.assert_array_equal(result.same_as, np.zeros(6))
    orbit = result.runs[0].orbit
    assert orbit.period == 4 and orbit.converged
    assert orbit.points.shape == (4, 2)
    np.testing.assert_allclose(np.sort(np.abs(orbit.points.ravel())), C, atol=1e-13)
    # (x, y) -> (y, -x): a quarter turn per step.
    np.testing.assert_allclose(np.roll(orbit.points, -1, axis=0),
                               np.column_stack([orbit.points[:, 1], -orbit.points[:, 0]]),
                               atol=1e-13)
    assert orbit.multipliers.dtype == np.complex128
    np.testing.assert_allclose(orbit.multipliers, (A * D) ** 4, atol=1e-12)
    np.testing.assert_allclose(orbit.monodromy, (A * D) ** 4 * np.eye(2), atol=1e-12)
    assert orbit.stability == "stable"
    assert orbit.frequency == pytest.approx(np.pi / 2, abs=1e-15)
    assert orbit.amplitude.rms_radius == pytest.approx(np.sqrt(2) * C, abs=1e-13)
    np.testing.assert_allclose(orbit.amplitude.half_range, [C, C], atol=1e-13)
    np.testing.assert_allclose(result.runs[0].lyapunov_exponents, np.log(A * D), atol=1e-10)


def test_shooting_finds_the_saddle_orbit_quadratically():
    net = recurrent_only(ROTATING)
    orbit = rnnatlas.refine_periodic_orbit(net, [C + 0.05, 0.04], 4)
    assert orbit.converged and orbit.period == 4
    r = orbit.residual_history
    assert r.shape == (orbit.n_newton_iters + 1,)
    assert r[0] > 1e-2 and r[-1] < 1e-15
    big = r[:-1] > 1e-7
    assert np.all(r[1:][big] <= 10 * r[:-1][big] ** 2)
    np.testing.assert_allclose(orbit.points, [[C, 0], [0, -C], [-C, 0], [0, C]], atol=1e-14)
    np.testing.assert_allclose(orbit.multipliers.real, [A**4, (A * D) ** 4], rtol=1e-12)
    assert orbit.stability == "saddle" and orbit.n_unstable == 1
    np.testing.assert_allclose(orbit.lyapunov_exponents(), [np.log(A), np.log(A * D)],
                               rtol=1e-12)
    # The monodromy is the Jacobian of the 4-step map, = central differences of it.
    end, jacobian = rnnatlas.iterate_map(net, orbit.points[0], np.zeros(1), 4)
    np.testing.assert_allclose(end, orbit.points[0], atol=1e-15)
    np.testing.assert_allclose(jacobian, orbit.monodromy, atol=1e-14)
    h = 1e-6
    fd = np.column_stack([
        (rnnatlas.iterate_map(net, orbit.points[0] + h * e, np.zeros(1), 4)[0]
         - rnnatlas.iterate_map(net, orbit.points[0] - h * e, np.zeros(1), 4)[0]) / (2 * h)
        for e in np.eye(2)
    ])
    np.testing.assert_allclose(fd, orbit.monodromy, atol=1e-7)
    # Keyword options reach the nested NewtonOptions.
    frozen = rnnatlas.refine_periodic_orbit(net, [C + 0.05, 0.04], 4, newton={"enabled": False})
    assert frozen.n_newton_iters == 0 and not frozen.converged


@pytest.mark.parametrize("theta", [0.4, 2.2])
def test_linear_rotation_has_neutral_circles_of_frequency_theta(theta):
    net = recurrent_only(rotation(theta), activation="linear")
    result = rnnatlas.classify_attractors(net, [[1.0, 0.0], [0.0, 0.5]], n_transient=100,
                                          n_curve_points=64)
    assert result.kinds == ["invariant_curve"] * 2, [run.message for run in result.runs]
    assert result.n_unique == 2  # two radii, two circles
    for run, radius in zip(result.runs, [1.0, 0.5]):
        curve = run.curve
        assert abs(curve.frequency - theta) < 1e-10
        assert curve.frequency_error < 1e-10
        assert curve.period == pytest.approx(2 * np.pi / theta, rel=1e-9)
        assert curve.amplitude.rms_radius == pytest.approx(radius, rel=1e-3)
        assert curve.points.shape == (64, 2)
        np.testing.assert_allclose(np.linalg.norm(curve.points, axis=1), radius, rtol=1e-12)
        assert curve.plane.shape == (2, 2)
        assert not curve.attracting
        assert np.max(np.abs(run.lyapunov_exponents)) < 1e-13


def test_saturating_spiral_settles_on_an_attracting_curve_and_origin_is_unstable():
    rho, theta = 1.05, 0.3
    net = recurrent_only(rotation(theta, rho))
    starts = np.vstack([np.random.RandomState(2).randn(3, 2), np.zeros((1, 2))])
    result = rnnatlas.classify_attractors(net, starts, n_threads=2)
    assert result.kinds == ["invariant_curve"] * 3 + ["fixed_point"], result.brief_report()
    assert list(result.same_as) == [0, 0, 0, 3]
    for run in result.runs[:3]:
        assert run.curve.attracting
        assert abs(run.curve.frequency - theta) < 0.02
        assert abs(run.lyapunov_exponents[0]) < 1e-3 and run.lyapunov_exponents[1] < -0.05
    origin = result.runs[3].orbit
    assert origin.stability == "unstable"
    np.testing.assert_allclose(np.abs(origin.multipliers), rho, rtol=1e-12)
    np.testing.assert_allclose(np.abs(np.angle(origin.multipliers)), theta, rtol=1e-12)
    # analyze_curve on the kept points agrees with the run's own frequency.
    curve = rnnatlas.analyze_curve(result.runs[0].curve.points)
    assert abs(curve.frequency - result.runs[0].curve.frequency) < 1e-6
    assert curve.points.shape == (0, 2)


def test_contracting_spiral_is_a_fixed_point_and_expanding_linear_one_diverges():
    starts = np.random.RandomState(4).randn(3, 2)
    fixed = rnnatlas.classify_attractors(recurrent_only(rotation(0.5, 0.9)), starts)
    assert fixed.kinds == ["fixed_point"] * 3
    assert fixed.runs[0].orbit.period == 1
    np.testing.assert_allclose(fixed.runs[0].orbit.points, 0.0, atol=1e-14)
    gone = rnnatlas.classify_attractors(recurrent_only(rotation(0.5, 1.1), "linear"), starts)
    assert gone.kinds == ["diverged"] * 3
    assert all(run.same_as == -1 and "diverged" in run.message for run in gone.runs)


def test_lyapunov_exponents_of_a_linear_map_are_log_moduli():
    W = np.random.RandomState(5).randn(4, 4) * 0.4
    net = recurrent_only(W, activation="linear")
    exponents = rnnatlas.lyapunov_exponents(net, np.ones(4), 4000)
    assert exponents.shape == (4,)
    expected = np.sort(np.log(np.abs(np.linalg.eigvals(W))))[::-1]
    np.testing.assert_allclose(exponents, expected, atol=5e-3)
    assert exponents.sum() == pytest.approx(np.log(abs(np.linalg.det(W))), abs=1e-10)
    assert rnnatlas.lyapunov_exponents(net, np.ones(4), 100, n_exponents=2).shape == (2,)


def test_errors_name_the_problem():
    net = recurrent_only(ROTATING)
    with pytest.raises(TypeError, match="unknown limit-cycle option 'n_steps'"):
        rnnatlas.classify_attractors(net, np.zeros((1, 2)), n_steps=10)
    with pytest.raises(ValueError, match="^n_record = 10: must be >= 16"):
        rnnatlas.classify_attractors(net, np.zeros((1, 2)), n_record=10)
    with pytest.raises(ValueError, match="^shooting.tol_residual = 0"):
        rnnatlas.classify_attractors(net, np.zeros((1, 2)), shooting={"tol_residual": 0.0})
    with pytest.raises(ValueError, match=r"initial_states must have shape \[n, 2\]"):
        rnnatlas.classify_attractors(net, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="period = 0"):
        rnnatlas.refine_periodic_orbit(net, [0.1, 0.2], 0)
    with pytest.raises(ValueError, match="n_exponents = 3"):
        rnnatlas.lyapunov_exponents(net, [0.1, 0.2], 10, n_exponents=3)
    options = rnnatlas.LimitCycleOptions()
    assert options.n_record == 4000 and options.shooting.newton.max_iters == 20
    options.validate()
