"""rnnatlas.load_distances and rnnatlas.load_embedding read the similarity stage's files.

The files are written here with h5py, following docs/pipeline.md to the letter, so these tests
check the documented layout from the other side: what a third-party writer produces per the
documentation, rnnatlas reads (the CLI tests check that what rnnatlas writes, h5py reads).
"""

import h5py
import numpy as np
import pytest

import rnnatlas

STRING = h5py.string_dtype()
IDS = ["0000-gru-tanh-h8-s0", "0001-gru-relu-h8-s0", "0002-lstm-tanh-h16-s1"]
D = np.array([[0.0, 0.25, 0.5], [0.25, 0.0, 0.75], [0.5, 0.75, 0.0]])


def root_attributes(f, format_name):
    f.attrs["format"] = format_name
    f.attrs["format_version"] = np.int64(1)
    f.attrs["library_version"] = "0.1.0"
    f.attrs["created"] = "2026-11-29T04:09:03Z"


def write_distances(path, distances=D, format_name="rnnatlas.distances"):
    with h5py.File(path, "w") as f:
        root_attributes(f, format_name)
        f.attrs["metric"] = "svcca"
        params = f.create_group("params")
        params.attrs["k"] = np.int64(10)
        params.attrs["rank_tolerance"] = 1e-7
        params.attrs["state"] = "h"
        params.attrs["debiased"] = np.uint8(1)
        params.attrs["activity_seed"] = np.uint64(1729)
        f.create_dataset("network_ids", data=IDS, dtype=STRING)
        f.create_dataset("distances", data=distances)
        labels = f.create_group("labels")
        labels.create_dataset("cell", data=["gru", "gru", "lstm"], dtype=STRING)
        labels.create_dataset("activation", data=["tanh", "relu", "tanh"], dtype=STRING)
        labels.create_dataset("n_hidden", data=np.array([8, 8, 16], dtype=np.int64))
        labels.create_dataset("l2", data=np.array([0.0, 1e-4, 0.0]))
        labels.create_dataset("learning_rate", data=np.full(3, 1e-3))
        labels.create_dataset("seed", data=np.array([0, 0, 1], dtype=np.int64))
    return path


def write_embedding(path):
    with h5py.File(path, "w") as f:
        root_attributes(f, "rnnatlas.embedding")
        f.attrs["metric"] = "svcca"
        f.attrs["stress"] = 0.01
        f.attrs["normalized_stress"] = 0.1
        f.create_dataset("network_ids", data=IDS, dtype=STRING)
        f.create_dataset("classical", data=np.arange(6.0).reshape(3, 2))
        f.create_dataset("classical_eigenvalues", data=np.array([2.0, 1.0, 0.0]))
        f.create_dataset("smacof", data=-np.arange(6.0).reshape(3, 2))
        for label, groups in (("cell", 2), ("activation", 2)):
            a = f.create_group(f"cluster/{label}").attrs
            a["silhouette"] = 0.5
            a["silhouette_p_value"] = 0.01
            a["knn_accuracy"] = 1.0
            a["knn_p_value"] = 0.002
            a["majority_accuracy"] = 2 / 3
            a["k"] = np.int64(1)
            a["n_permutations"] = np.int64(999)
            a["n_groups"] = np.int64(groups)
    return path


def test_load_distances_returns_the_documented_fields(tmp_path):
    d = rnnatlas.load_distances(write_distances(tmp_path / "svcca.h5"))
    assert d["metric"] == "svcca"
    assert d["params"] == {"k": 10, "rank_tolerance": 1e-7, "state": "h", "debiased": True,
                           "activity_seed": 1729}
    assert isinstance(d["params"]["debiased"], bool)
    assert d["network_ids"] == IDS
    np.testing.assert_array_equal(d["distances"], D)
    assert d["distances"].dtype == np.float64
    labels = d["labels"]
    assert list(labels["cell"]) == ["gru", "gru", "lstm"]
    assert list(labels["activation"]) == ["tanh", "relu", "tanh"]
    assert labels["n_hidden"].dtype == np.int64 and list(labels["n_hidden"]) == [8, 8, 16]
    np.testing.assert_array_equal(labels["l2"], [0.0, 1e-4, 0.0])
    np.testing.assert_array_equal(labels["learning_rate"], 1e-3)
    assert list(labels["seed"]) == [0, 0, 1]
    # Labels are arrays, so that they select rows directly.
    gru = labels["cell"] == "gru"
    np.testing.assert_array_equal(d["distances"][np.ix_(gru, gru)], [[0, 0.25], [0.25, 0]])
    assert d["library_version"] == "0.1.0" and d["created"] == "2026-11-29T04:09:03Z"


def test_load_embedding_returns_the_documented_fields(tmp_path):
    e = rnnatlas.load_embedding(write_embedding(tmp_path / "svcca.embedding.h5"))
    assert e["metric"] == "svcca"
    assert e["network_ids"] == IDS
    np.testing.assert_array_equal(e["classical"], np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(e["smacof"], -np.arange(6.0).reshape(3, 2))
    np.testing.assert_array_equal(e["classical_eigenvalues"], [2.0, 1.0, 0.0])
    assert e["stress"] == 0.01 and e["normalized_stress"] == 0.1
    assert list(e["cluster"]) == ["cell", "activation"]  # the canonical order, not the file's
    assert e["cluster"]["cell"] == {
        "silhouette": 0.5, "silhouette_p_value": 0.01, "knn_accuracy": 1.0, "knn_p_value": 0.002,
        "majority_accuracy": pytest.approx(2 / 3), "k": 1, "n_permutations": 999, "n_groups": 2}
    assert e["options"] == {}  # written by rnnatlas embed for resuming; optional for others


def test_bad_files_raise_io_errors_naming_the_path(tmp_path):
    with pytest.raises(rnnatlas.IoError, match="missing.h5.*no such file"):
        rnnatlas.load_distances(tmp_path / "missing.h5")
    asymmetric = D.copy()
    asymmetric[0, 1] = 0.3
    with pytest.raises(OSError, match="asym.h5.*not symmetric"):
        rnnatlas.load_distances(write_distances(tmp_path / "asym.h5", asymmetric))
    with pytest.raises(OSError, match=r"\[2, 2\]|\[3\]|shape"):
        rnnatlas.load_distances(write_distances(tmp_path / "small.h5", D[:2, :2]))
    with pytest.raises(OSError, match="rnnatlas.distances"):
        rnnatlas.load_embedding(write_distances(tmp_path / "svcca.h5"))
    with pytest.raises(OSError, match="rnnatlas.embedding"):
        rnnatlas.load_distances(write_embedding(tmp_path / "e.h5"))
