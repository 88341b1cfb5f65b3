"""rnnatlas.similarity.dsa (dynamical similarity analysis) against its defining formula written
in numpy, known answers (linear systems, symmetric operators), invariances and error reporting."""

import numpy as np
import pytest

import rnnatlas
from rnnatlas import similarity


def random_orthogonal(n, seed):
    q, r = np.linalg.qr(np.random.RandomState(seed).randn(n, n))
    return q * np.sign(np.diag(r))


def linear_trials(a, n_trials, n_steps, seed):
    """[n_trials, n_steps, n_units] of x_{s+1} = a x_s from random x_0."""
    rng = np.random.RandomState(seed)
    x = np.empty((n_trials, n_steps, a.shape[0]))
    x[:, 0] = rng.randn(n_trials, a.shape[0])
    for s in range(1, n_steps):
        x[:, s] = x[:, s - 1] @ a.T
    return x


def network_trials(p, n_trials, n_steps, seed):
    """Trials of a driven tanh network: nonlinear activity."""
    rng = np.random.RandomState(seed)
    w = rng.randn(p, p)
    w *= 1.1 / np.abs(np.linalg.eigvals(w)).max()
    x = np.empty((n_trials, n_steps, p))
    h = np.zeros((n_trials, p))
    for s in range(n_steps):
        drive = rng.randn(n_trials, p) if s % 7 == 0 else 0.0
        h = np.tanh(h @ w.T + drive)
        x[:, s] = h
    return x


def dsa_operator_by_definition(x, n_delays, delay_interval, rank):
    """The DSA operator from its definition, trial by trial: delay vectors, whitened principal
    coordinates, affine least squares on within-trial pairs. Returns (A, W)."""
    n_trials, n_steps, p = x.shape
    window = (n_delays - 1) * delay_interval
    z = np.stack([
        np.concatenate([x[b, s - k * delay_interval] for k in range(n_delays)])
        for b in range(n_trials) for s in range(window, n_steps)
    ])  # trial-major here, unlike the library
    zc = z - z.mean(axis=0)
    _, sv, vt = np.linalg.svd(zc, full_matrices=False)
    u = zc @ vt[:rank].T / sv[:rank]
    per_trial = n_steps - window
    current = np.concatenate([u[b * per_trial: (b + 1) * per_trial - 1] for b in range(n_trials)])
    following = np.concatenate([u[b * per_trial + 1: (b + 1) * per_trial] for b in range(n_trials)])
    design = np.hstack([current, np.ones((len(current), 1))])
    coefficients = np.linalg.lstsq(design, following, rcond=None)[0]
    return coefficients[:rank].T, vt[:rank].T


def test_prepare_dsa_matches_its_defining_formula():
    x = network_trials(6, 8, 40, 1)
    prepared = similarity.prepare_dsa(x, rank=5, n_delays=3, delay_interval=2)
    a, w = dsa_operator_by_definition(x, 3, 2, 5)
    signs = np.sign(np.sum(w * prepared.directions, axis=0))  # eigenvectors are signed freely
    np.testing.assert_allclose(np.abs(signs), 1.0)
    np.testing.assert_allclose(prepared.dynamics, signs[:, None] * a * signs[None, :], atol=1e-8)
    assert prepared.rank == 5 and prepared.n_steps == 40 and 0.0 < prepared.fit_residual < 1.0


def test_fitted_operator_of_a_linear_system_is_the_system():
    rng = np.random.RandomState(2)
    a = rng.randn(5, 5)
    a *= 0.95 / np.abs(np.linalg.eigvals(a)).max()
    x = linear_trials(a, 10, 30, 3) + rng.randn(5)  # an offset must not matter
    prepared = similarity.prepare_dsa(x, rank=5)
    assert prepared.fit_residual < 1e-10
    np.testing.assert_allclose(prepared.embedding_dynamics(), a, atol=1e-8)
    # 2-D rows in rnnatlas order (row s * n_trials + b) with n_steps give the same operator.
    rows = x.transpose(1, 0, 2).reshape(-1, 5)
    np.testing.assert_array_equal(similarity.prepare_dsa(rows, n_steps=30, rank=5).dynamics,
                                  prepared.dynamics)


def test_dsa_is_zero_up_to_orthogonal_maps_symmetric_and_positive_otherwise():
    x = network_trials(8, 10, 40, 4)
    y = 2.0 * x @ random_orthogonal(8, 5) + 1.0
    same = similarity.dsa(x, y, rank=6, n_delays=2)
    assert same.angular < 1e-6 and same.euclidean < 1e-6 and same.converged
    other = network_trials(7, 12, 40, 6)  # other units and trials: only n_steps must agree
    xy, yx = similarity.dsa(x, other, rank=6), similarity.dsa(other, x, rank=6)
    assert xy.distance == yx.distance == xy.angular > 0.05
    c = xy.alignment
    np.testing.assert_allclose(c.T @ c, np.eye(6), atol=1e-12)
    ax = similarity.prepare_dsa(x, rank=6).dynamics
    ay = similarity.prepare_dsa(other, rank=6).dynamics
    assert xy.euclidean == pytest.approx(np.linalg.norm(ax - c @ ay @ c.T), abs=1e-12)
    cosine = np.sum(ax * (c @ ay @ c.T)) / (np.linalg.norm(ax) * np.linalg.norm(ay))
    assert xy.angular == pytest.approx(np.arccos(cosine), abs=1e-9)
    # |tr M| <= sqrt(n) ||M||_F gives a lower bound no orthogonal C can beat.
    assert xy.euclidean >= abs(np.trace(ax) - np.trace(ay)) / np.sqrt(6)
    assert similarity.dsa(x, x, rank=6).distance == 0.0


def test_operator_distance_of_symmetric_operators_matches_sorted_eigenvalues():
    ea, eb = np.random.RandomState(7).randn(2, 6)
    qa, qb = random_orthogonal(6, 8), random_orthogonal(6, 9)
    a, b = qa @ np.diag(ea) @ qa.T, qb @ np.diag(eb) @ qb.T
    result = similarity.operator_distance(a, b, distance="euclidean")
    assert result.distance == pytest.approx(np.linalg.norm(np.sort(ea) - np.sort(eb)), abs=1e-9)
    hidden = similarity.operator_distance(a @ qb, qb.T @ a @ qb @ qb, alignment={"seed": 3})
    assert hidden.angular < 1e-7


def test_distance_matrix_of_trials_matches_pairwise_dsa():
    acts = [network_trials(5 + i % 2, 6, 30, 10 + i) for i in range(4)]
    d = rnnatlas.distance_matrix(acts, metric="dsa", n_threads=2, rank=4, n_delays=2)
    assert d.shape == (4, 4)
    np.testing.assert_array_equal(d, d.T)
    np.testing.assert_array_equal(np.diag(d), 0.0)
    for i in range(4):
        for j in range(i + 1, 4):
            pair = similarity.dsa(acts[i], acts[j], rank=4, n_delays=2).distance
            assert d[i, j] == pytest.approx(pair, rel=1e-9)  # summation order may differ


def test_bad_inputs_raise_errors_naming_the_problem():
    x = network_trials(4, 5, 20, 11)
    rows = x.transpose(1, 0, 2).reshape(-1, 4)
    with pytest.raises(ValueError, match="needs n_steps"):
        similarity.dsa(rows, rows)
    with pytest.raises(ValueError, match="20 steps per trial, but n_steps = 10"):
        similarity.prepare_dsa(x, n_steps=10)
    with pytest.raises(ValueError, match="n_steps = 30 does not divide the 100 samples"):
        similarity.prepare_dsa(rows, n_steps=30, rank=3)
    with pytest.raises(ValueError, match=r"n_delays = 0: must be >= 1"):
        similarity.dsa(x, x, n_delays=0)
    with pytest.raises(ValueError, match=r"rank = 9 exceeds the 2 x 4 dimensions"):
        similarity.dsa(x, x, rank=9, n_delays=2)
    with pytest.raises(ValueError, match="max_iterations = 0"):
        similarity.dsa(x, x, rank=3, alignment={"max_iterations": 0})
    with pytest.raises(ValueError, match="angular, euclidean"):
        similarity.dsa(x, x, rank=3, distance="cosine")
    with pytest.raises(TypeError, match="unknown dsa option 'delays'"):
        similarity.dsa(x, x, delays=2)
    with pytest.raises(ValueError, match="square"):
        similarity.operator_distance(np.ones((2, 3)), np.ones((2, 2)))
