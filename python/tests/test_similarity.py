"""rnnatlas.similarity and the population functions (distance_matrix, mds, cluster_stats,
mantel_test) against their defining formulas in numpy, known values and error reporting."""

import numpy as np
import pytest

import rnnatlas
from rnnatlas import similarity


def centred(x):
    return x - x.mean(axis=0)


def random_pair(seed=0, n=60, p=5, q=4):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, p)
    y = x[:, :q] @ rng.randn(q, q) + 0.8 * rng.randn(n, q)
    return x, y


def random_orthogonal(n, seed):
    q, r = np.linalg.qr(np.random.RandomState(seed).randn(n, n))
    return q * np.sign(np.diag(r))


def linear_hsic(k, l):
    n = k.shape[0]
    h = np.eye(n) - np.ones((n, n)) / n
    return np.trace(k @ h @ l @ h)


# ---- metrics ---------------------------------------------------------------------------------


def test_cca_equals_eigenvalues_of_the_covariance_product():
    x, y = random_pair()
    xc, yc = centred(x), centred(y)
    sxx, syy, sxy = xc.T @ xc, yc.T @ yc, xc.T @ yc
    m = np.linalg.solve(sxx, sxy) @ np.linalg.solve(syy, sxy.T)
    expected = np.sqrt(np.sort(np.linalg.eigvals(m).real)[::-1][: y.shape[1]])
    rho = similarity.cca(x, y)
    assert rho.shape == (4,)
    np.testing.assert_allclose(rho, expected, atol=1e-10)


def test_svcca_of_a_matrix_with_itself_is_zero_and_matches_cca_of_top_k_projections():
    x, y = random_pair(1, p=8, q=6)
    same = similarity.svcca(x, x, k=5)
    np.testing.assert_allclose(same.rho, np.ones(5), atol=1e-10)
    assert abs(same.distance) < 1e-10 and abs(same.mean_rho - 1) < 1e-10
    result = similarity.svcca(x, y, k=3)
    top = lambda a: centred(a) @ np.linalg.svd(centred(a), full_matrices=False)[2][:3].T
    np.testing.assert_allclose(result.rho, similarity.cca(top(x), top(y)), atol=1e-8)
    assert result.distance == pytest.approx(1 - result.rho.mean(), abs=1e-14)


def test_pwcca_weights_and_distance():
    x, y = random_pair(2)
    result = similarity.pwcca(x, y)
    assert result.weights.sum() == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(result.rho, similarity.cca(x, y), atol=1e-10)
    assert result.distance == pytest.approx(1 - result.weights @ result.rho, abs=1e-12)
    assert similarity.pwcca(x, x).distance == pytest.approx(0.0, abs=1e-10)


def test_linear_cka_equals_the_hsic_formula_and_its_invariances():
    x, y = random_pair(3)
    expected = linear_hsic(x @ x.T, y @ y.T) / np.sqrt(
        linear_hsic(x @ x.T, x @ x.T) * linear_hsic(y @ y.T, y @ y.T))
    value = similarity.cka(x, y)
    assert value == pytest.approx(expected, rel=1e-10)
    q = random_orthogonal(x.shape[1], 4)
    assert similarity.cka(3.5 * x @ q + 7.0, y) == pytest.approx(value, rel=1e-10)
    assert similarity.cka(x, x) == pytest.approx(1.0, rel=1e-12)
    rbf = similarity.cka(x, y, kernel="rbf", threshold=0.8)
    assert similarity.cka(2.0 * x @ q, y, kernel="rbf", threshold=0.8) == pytest.approx(rbf,
                                                                                         rel=1e-9)


def test_kornblith_golden_cka_values():
    rng = np.random.RandomState(1337)
    x = rng.randn(100, 10)
    y = x + rng.randn(100, 10)
    assert round(similarity.cka(x, y), 5) == 0.55761
    assert round(similarity.cka(x, y, kernel="rbf", threshold=0.5), 5) == 0.65483
    assert round(similarity.cka(x, y, debiased=True), 5) == 0.51346


def test_procrustes_angular_distance_via_svd():
    x, y = random_pair(5, q=5)
    xc, yc = centred(x), centred(y)
    nuclear = np.linalg.svd(xc.T @ yc, compute_uv=False).sum()
    expected = np.arccos(nuclear / (np.linalg.norm(xc) * np.linalg.norm(yc)))
    assert similarity.shape_distance(x, y) == pytest.approx(expected, rel=1e-10)
    euclid = np.sqrt(np.linalg.norm(xc) ** 2 + np.linalg.norm(yc) ** 2 - 2 * nuclear)
    assert similarity.shape_distance(x, y, distance="euclidean") == pytest.approx(euclid, rel=1e-10)
    q = random_orthogonal(5, 6)
    assert similarity.shape_distance(x, x @ q + 1.0) == pytest.approx(0.0, abs=1e-6)


# ---- populations -----------------------------------------------------------------------------


def population(n=5, n_samples=80):
    rng = np.random.RandomState(7)
    base = rng.randn(n_samples, 6)
    return [base[:, : 4 + i % 3] @ rng.randn(4 + i % 3, 5 + i) + 0.5 * rng.randn(n_samples, 5 + i)
            for i in range(n)]


@pytest.mark.parametrize("metric,options,pair", [
    ("svcca", {"k": 3}, lambda a, b: similarity.svcca(a, b, k=3).distance),
    ("cka", {}, lambda a, b: 1 - similarity.cka(a, b)),
    ("cka", {"kernel": "rbf", "threshold": 0.5}, lambda a, b: 1 - similarity.cka(a, b, "rbf", 0.5)),
    ("shape", {"alpha": 0.5}, lambda a, b: similarity.shape_distance(a, b, alpha=0.5)),
    ("pwcca", {}, lambda a, b: 0.5 * (similarity.pwcca(a, b).distance
                                      + similarity.pwcca(b, a).distance)),
])
def test_distance_matrix_matches_pairwise_calls(metric, options, pair):
    acts = population()
    d = rnnatlas.distance_matrix(acts, metric=metric, n_threads=2, **options)
    assert d.shape == (5, 5)
    np.testing.assert_array_equal(d, d.T)
    np.testing.assert_array_equal(np.diag(d), 0.0)
    for i in range(5):
        for j in range(i + 1, 5):
            assert d[i, j] == pytest.approx(pair(acts[i], acts[j]), abs=1e-10)
    np.testing.assert_array_equal(d, rnnatlas.distance_matrix(acts, metric=metric, **options))


def pairwise(points):
    return np.linalg.norm(points[:, None, :] - points[None, :, :], axis=-1)


def test_classical_mds_recovers_a_planar_configuration():
    points = np.random.RandomState(8).randn(12, 2)
    d = pairwise(points)
    result = rnnatlas.mds(d)
    assert result.coordinates.shape == (12, 2)
    np.testing.assert_allclose(pairwise(result.coordinates), d, atol=1e-9)
    assert np.all(np.abs(result.eigenvalues[2:]) < 1e-9)
    smacof = rnnatlas.mds(d, method="smacof", seed=1)
    assert smacof.normalized_stress < 1e-4
    np.testing.assert_allclose(pairwise(smacof.coordinates), d, atol=1e-3)


def test_cluster_stats_and_mantel():
    rng = np.random.RandomState(9)
    points = np.vstack([rng.randn(10, 2), rng.randn(10, 2) + 8.0])
    d = pairwise(points)
    labels = ["gru"] * 10 + ["lstm"] * 10
    stats = rnnatlas.cluster_stats(d, labels, k=3, n_permutations=199, seed=1)
    assert stats.silhouette > 0.7 and stats.knn_accuracy == 1.0
    assert stats.silhouette_p_value == pytest.approx(1 / 200)
    assert stats.knn_p_value == pytest.approx(1 / 200)
    assert stats.majority_accuracy == 0.5
    shuffled = rnnatlas.cluster_stats(d, rng.permutation(labels), k=3, n_permutations=199)
    assert shuffled.silhouette_p_value > 0.01
    mantel = rnnatlas.mantel_test(d, d + 0.01 * pairwise(rng.randn(20, 2)), n_permutations=99)
    assert mantel.r > 0.99 and mantel.p_value == pytest.approx(1 / 100)


# ---- errors ----------------------------------------------------------------------------------


def test_bad_inputs_raise_value_errors_naming_the_problem():
    x = np.random.RandomState(10).randn(30, 3)
    with pytest.raises(ValueError, match="X has 30 samples .* but Y has 20"):
        similarity.cca(x, x[:20])
    bad = x.copy()
    bad[2, 1] = np.nan
    with pytest.raises(ValueError, match="finite"):
        similarity.cka(x, bad)
    with pytest.raises(ValueError, match="rbf"):
        similarity.cka(x, x, kernel="gaussian")
    with pytest.raises(ValueError, match="k"):
        similarity.svcca(x, x, k=5)
    with pytest.raises(ValueError, match="metric"):
        rnnatlas.distance_matrix([x, x], metric="cosine")
    with pytest.raises(ValueError, match="network 1 has 20 samples"):
        rnnatlas.distance_matrix([x, x[:20]], metric="cka")
    with pytest.raises(TypeError, match="unknown svcca option 'kk'"):
        rnnatlas.distance_matrix([x, x], metric="svcca", kk=3)
    with pytest.raises(ValueError, match="method"):
        rnnatlas.mds(pairwise(x), method="tsne")
