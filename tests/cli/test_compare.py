"""End-to-end tests of `rnnatlas compare` and `rnnatlas embed` on a small trained sweep.

The distance file DIR/similarity/<name>.h5 and the embedding file DIR/similarity/<name>.embedding.h5
are read with h5py and checked against the names, shapes and types of docs/pipeline.md. Also: every
metric with its parameters, resume, refusal without --force, the cluster table, and clear messages
with the right exit status for bad input.
"""

import csv

import h5py
import numpy as np
import pytest

ERROR = "rnnatlas: error: "

# 8 networks of 8 units (2 cells x 2 activations x 2 seeds), a few hundred iterations each: the
# sweep trains in a few seconds; the keep threshold is generous so that every network is kept.
SWEEP = """\
[task]
name = "flip_flop"
n_time = 20

[grid]
cell = ["vanilla", "gru"]
activation = ["tanh", "relu"]
n_hidden = 8
n_iterations = 300
n_batch = 16
learning_rate = 1e-2
seeds = 2

[evaluation]
n_eval_batch = 16

[keep]
max_normalized_mse = 10.0
"""


def assert_error(result, code, *needles):
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert ERROR in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    for crash in ("terminate called", "what():", "Aborted"):
        assert crash not in result.stderr


def kept_ids(directory):
    with open(directory / "manifest.csv", newline="") as f:
        return [row["id"] for row in csv.DictReader(f) if row["kept"] == "1"]


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


@pytest.fixture(scope="module")
def sweep(run, tmp_path_factory):
    root = tmp_path_factory.mktemp("compare")
    config = root / "sweep.toml"
    config.write_text(SWEEP)
    out = root / "sweep"
    result = run("sweep", config, "--out", out, "--n-threads", 2, "--quiet", timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(kept_ids(out)) == 8
    return out


@pytest.fixture(scope="module")
def svcca(run, sweep):
    """`compare --metric svcca --svcca.k 4` then `embed`: (distance file, embedding file,
    results)."""
    compared = run("compare", sweep, "--metric", "svcca", "--svcca.k", 4, "--activity.n-trials", 8,
                   "-j", 2)
    assert compared.returncode == 0, compared.stderr
    embedded = run("embed", sweep, "--metric", "svcca", "--n-permutations", 99,
                   "--k-neighbors", 3, "-j", 2)
    assert embedded.returncode == 0, embedded.stderr
    return (sweep / "similarity/svcca.h5", sweep / "similarity/svcca.embedding.h5", compared,
            embedded)


def test_distance_file_has_the_documented_layout(sweep, svcca):
    path, _, result, _ = svcca
    assert "svcca: 8 kept networks of 8" in result.stdout
    assert "distances: min" in result.stdout
    ids = kept_ids(sweep)
    with h5py.File(path, "r") as f:
        assert text(f.attrs["format"]) == "rnnatlas.distances"
        assert f.attrs["format_version"] == 1
        assert f.attrs["format_version"].dtype == np.int64
        assert text(f.attrs["library_version"])
        assert text(f.attrs["created"]).endswith("Z")
        assert text(f.attrs["metric"]) == "svcca"
        params = f["params"].attrs
        assert params["k"] == 4 and params["k"].dtype == np.int64
        assert params["n_trials"] == 8
        assert text(params["state"]) == "h"
        assert [text(i) for i in f["network_ids"][()]] == ids
        d = f["distances"][()]
        assert d.dtype == np.float64 and d.shape == (8, 8)
        np.testing.assert_array_equal(d, d.T)
        np.testing.assert_array_equal(np.diag(d), 0.0)
        assert np.all(d[~np.eye(8, dtype=bool)] > 0) and np.all(d <= 1)
        labels = f["labels"]
        assert sorted(labels) == ["activation", "cell", "l2", "learning_rate", "n_hidden", "seed"]
        for name in labels:
            assert labels[name].shape == (8,), name
        assert [text(c) for c in labels["cell"][()]] == [i.split("-")[1] for i in ids]
        assert [text(a) for a in labels["activation"][()]] == [i.split("-")[2] for i in ids]
        assert labels["n_hidden"].dtype == np.int64 and set(labels["n_hidden"][()]) == {8}
        assert labels["seed"].dtype == np.int64 and sorted(set(labels["seed"][()])) == [0, 1]
        assert labels["l2"].dtype == np.float64
        np.testing.assert_array_equal(labels["learning_rate"][()], 1e-2)


def test_embedding_file_has_the_documented_layout(svcca):
    _, path, _, result = svcca
    with h5py.File(path, "r") as f:
        assert text(f.attrs["format"]) == "rnnatlas.embedding"
        assert f.attrs["format_version"] == 1
        assert text(f.attrs["metric"]) == "svcca"
        assert f["network_ids"].shape == (8,)
        assert f["classical"].shape == (8, 2) and f["classical"].dtype == np.float64
        assert f["classical_eigenvalues"].shape == (8,)
        assert f["smacof"].shape == (8, 2)
        assert 0 <= f.attrs["normalized_stress"] < 1 and f.attrs["stress"] >= 0
        # cell and activation split the 8 networks into 2 groups each; n_hidden and l2 do not.
        assert sorted(f["cluster"]) == ["activation", "cell"]
        for label in ("cell", "activation"):
            a = f["cluster"][label].attrs
            assert -1 <= a["silhouette"] <= 1
            assert 0 <= a["knn_accuracy"] <= 1
            for p in ("silhouette_p_value", "knn_p_value"):
                assert 1 / 100 <= a[p] <= 1
            assert a["majority_accuracy"] == 0.5
            assert a["k"] == 3 and a["n_permutations"] == 99 and a["n_groups"] == 2
    # The cluster table on stdout.
    assert "silhouette" in result.stdout and "knn acc" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines()]
    assert [r[0] for r in rows if r and r[0] in ("cell", "activation")] == ["cell", "activation"]


def test_rerun_resumes_and_other_options_need_force(run, sweep, svcca):
    path = svcca[0]
    before = path.stat().st_mtime_ns
    again = run("compare", sweep, "--metric", "svcca", "--svcca.k", 4, "--activity.n-trials", 8)
    assert again.returncode == 0, again.stderr
    assert "up to date" in again.stdout
    assert path.stat().st_mtime_ns == before

    refused = run("compare", sweep, "--metric", "svcca", "--svcca.k", 5, "--activity.n-trials", 8)
    assert_error(refused, 2, "k = 4 there, 5 now", "--force", str(path))
    assert path.stat().st_mtime_ns == before

    embed_again = run("embed", sweep, "--metric", "svcca", "--n-permutations", 99,
                      "--k-neighbors", 3)
    assert embed_again.returncode == 0, embed_again.stderr
    assert "up to date" in embed_again.stdout and "silhouette" in embed_again.stdout
    embed_refused = run("embed", sweep, "--metric", "svcca", "--n-permutations", 9)
    assert_error(embed_refused, 2, "n_permutations = 99 there, 9 now", "--force")

    forced = run("compare", sweep, "--metric", "svcca", "--svcca.k", 5, "--activity.n-trials", 8,
                 "--force")
    assert forced.returncode == 0, forced.stderr
    assert "replaced: k = 4 there, 5 now" in forced.stdout
    with h5py.File(path, "r") as f:
        assert f["params"].attrs["k"] == 5
    # The embedding of the old matrix is stale: recomputed without --force.
    embed_new = run("embed", sweep, "--metric", "svcca", "--n-permutations", 99, "--k-neighbors", 3)
    assert embed_new.returncode == 0, embed_new.stderr
    assert "replaced" in embed_new.stdout


@pytest.mark.parametrize(
    "args, params",
    [
        (["--metric", "cca"], {"rank_tolerance": 1e-10}),
        (["--metric", "pwcca", "--cca.rank-tolerance", "1e-8"], {"rank_tolerance": 1e-8}),
        (["--metric", "svcca", "--svcca.variance-fraction", "0.9"], {"variance_fraction": 0.9}),
        (["--metric", "cka"], {"kernel": "linear", "debiased": 0}),
        (["--metric", "cka", "--cka.kernel", "rbf", "--cka.threshold", "0.5"],
         {"kernel": "rbf", "threshold": 0.5}),
        (["--metric", "cka", "--cka.debiased"], {"debiased": 1}),
        (["--metric", "shape", "--shape.alpha", "0.5", "--shape.distance", "euclidean"],
         {"alpha": 0.5, "distance": "euclidean"}),
        (["--metric", "dsa", "--dsa.rank", "4", "--dsa.n-delays", "2", "--dsa.distance",
          "euclidean", "--dsa.alignment.n-random-starts", "2", "--dsa.alignment.n-refined", "2"],
         {"rank": 4, "n_delays": 2, "delay_interval": 1, "distance": "euclidean",
          "n_random_starts": 2, "n_refined": 2, "n_screening_iterations": 40,
          "alignment_seed": 0}),
        (["--metric", "svcca", "--svcca.k", "3", "--activity.state", "hc",
          "--activity.first-step", "5", "--activity.step-stride", "2", "--activity.seed", "7"],
         {"k": 3, "state": "hc", "first_step": 5, "step_stride": 2, "activity_seed": 7}),
    ],
)
def test_every_metric_with_its_parameters(run, sweep, args, params, tmp_path):
    name = "case_" + "_".join(a.strip("-").replace(".", "p") for a in args)
    result = run("compare", sweep, *args, "--activity.n-trials", 8, "--name", name)
    assert result.returncode == 0, result.stderr
    path = sweep / "similarity" / f"{name}.h5"
    with h5py.File(path, "r") as f:
        assert text(f.attrs["metric"]) == args[1]
        for key, value in params.items():
            stored = f["params"].attrs[key]
            assert (text(stored) if isinstance(value, str) else stored) == value, key
        d = f["distances"][()]
        np.testing.assert_array_equal(d, d.T)
        assert np.all(np.isfinite(d)) and d.max() > 0
    path.unlink()


def test_old_flag_spellings_still_work_and_warn(run, sweep):
    """The flags before the options had their paths (--k, --trials, --rank-tolerance for every
    metric, --distance for shape and dsa) work for one release, each with a warning naming the new
    flag; a metric's own new flag wins over the shared old one."""
    result = run("compare", sweep, "--metric", "svcca", "--k", 3, "--trials", 8,
                 "--rank-tolerance", "1e-6", "--name", "old_svcca")
    assert result.returncode == 0, result.stderr
    for old, new in [("--k", "--svcca.k"), ("--trials", "--activity.n-trials"),
                     ("--rank-tolerance", "--svcca.rank-tolerance")]:
        assert f"{old} is deprecated" in result.stderr and new in result.stderr, result.stderr
    path = sweep / "similarity" / "old_svcca.h5"
    with h5py.File(path, "r") as f:
        assert f["params"].attrs["k"] == 3 and f["params"].attrs["n_trials"] == 8
        assert f["params"].attrs["rank_tolerance"] == 1e-6
    path.unlink()
    result = run("compare", sweep, "--metric", "shape", "--distance", "euclidean",
                 "--rank-tolerance", "1e-6", "--shape.rank-tolerance", "1e-8",
                 "--activity.n-trials", 8, "--name", "old_shape")
    assert result.returncode == 0, result.stderr
    path = sweep / "similarity" / "old_shape.h5"
    with h5py.File(path, "r") as f:
        assert text(f["params"].attrs["distance"]) == "euclidean"
        assert f["params"].attrs["rank_tolerance"] == 1e-8
    path.unlink()


def test_bad_input_gets_a_clear_message(run, sweep, tmp_path):
    assert_error(run("compare", tmp_path / "nowhere"), 1, "no such directory", "nowhere")
    assert_error(run("compare", tmp_path), 1, "manifest.csv")
    assert_error(run("compare", sweep, "--metric", "rsa"), 2, "'rsa'", "svcca", "topology")
    assert_error(run("compare", sweep, "--metric", "svcca", "--svcca.k", 9), 2,
                 "--svcca.k = 9: must be <= 8")
    assert_error(run("compare", sweep, "--metric", "cka", "--svcca.k", 3), 2,
                 "--svcca.k applies to")
    assert_error(run("compare", sweep, "--metric", "svcca", "--dsa.n-delays", 2), 2,
                 "--dsa.n-delays applies to")
    assert_error(run("compare", sweep, "--metric", "dsa", "--dsa.rank", 20, "--dsa.n-delays", 2), 2,
                 "rank = 20 exceeds the 2 x 8 dimensions", "network '")
    assert_error(run("compare", sweep, "--metric", "dsa", "--dsa.n-delays", 30), 2,
                 "n_steps = 20", "window")
    assert_error(run("compare", sweep, "--metric", "svcca", "--activity.seed", "-1"), 2,
                 "--activity.seed")
    assert_error(run("compare", sweep, "--name", "../x"), 2,
                 "--name = '../x': must be a plain file name")
    # Errors about an option name the flag that set it, not the library's field.
    assert_error(run("compare", sweep, "--metric", "svcca", "--activity.first-step", 1000), 2,
                 "--activity.first-step = 1000: must be < the task's n_time")
    assert_error(run("embed", sweep, "--metric", "nothing_here"), 1, "nothing_here.h5",
                 "rnnatlas compare")
    assert_error(run("embed", tmp_path / "nowhere"), 1, "svcca.h5")
    # Topology needs the dynamics stage's files.
    assert_error(run("compare", sweep, "--metric", "topology"), 1, "dynamics")
    assert_error(run("compare", sweep, "--metric", "topology", "--activity.n-trials", 4), 2,
                 "--activity.n-trials")
