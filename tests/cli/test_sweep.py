"""End-to-end tests of `rnnatlas sweep` and `rnnatlas summary`.

A sweep directory holds sweep.toml, sweep.hash, manifest.csv, networks/<id>.h5 and .lock
(docs/sweep.md). These tests check: files and manifest of a small sweep, identical weights for 1
and 2 threads, resume after SIGKILL to the same result as an uninterrupted run, refusal of a
different config and of a concurrent run, and the summary table.
"""

import csv
import os
import pathlib
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

ERROR = "rnnatlas: error: "
REPO = pathlib.Path(__file__).resolve().parents[2]

# 6 networks of n_hidden 4: the whole sweep trains in about a second.
TINY = """\
[task]
name = "flip_flop"
n_time = 10

[grid]
cell = ["vanilla", "gru", "lstm"]
activation = ["tanh", "relu"]
n_hidden = 4
n_iterations = 20
n_batch = 8
seeds = 1

[evaluation]
n_eval_batch = 8
"""

# 16 slower networks (about half a second each), so that a run can be killed in the middle.
SLOW = """\
[task]
name = "flip_flop"
n_time = 20

[grid]
cell = ["vanilla", "ugrnn", "gru", "lstm"]
activation = "tanh"
n_hidden = 12
n_iterations = 1500
n_batch = 16
seeds = 4

[evaluation]
n_eval_batch = 16
"""


def write(path, text):
    path.write_text(text)
    return path


def weights(directory):
    """{file name: {parameter name: array}} of every network file in DIR/networks."""
    out = {}
    for path in sorted((directory / "networks").iterdir()):
        with h5py.File(path, "r") as f:
            group = f["model/parameters"]
            out[path.name] = {name: group[name][()] for name in group}
    return out


def assert_same_weights(a, b):
    assert sorted(a) == sorted(b)
    for name in a:
        assert sorted(a[name]) == sorted(b[name])
        for tensor in a[name]:
            np.testing.assert_array_equal(a[name][tensor], b[name][tensor], err_msg=name + tensor)


def manifest(directory):
    with open(directory / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def assert_error(result, code, *needles):
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert ERROR in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    for crash in ("terminate called", "what():", "Aborted"):
        assert crash not in result.stderr


@pytest.fixture(scope="module")
def tiny_sweep(run, tmp_path_factory):
    """A finished tiny sweep on 2 threads: (config path, directory, CompletedProcess)."""
    root = tmp_path_factory.mktemp("sweep")
    config = write(root / "tiny.toml", TINY)
    out = root / "out"
    result = run("sweep", config, "--out", out, "--n-threads", 2)
    assert result.returncode == 0, result.stderr
    return config, out, result


def test_sweep_writes_every_network_and_the_manifest(tiny_sweep):
    config, out, result = tiny_sweep
    files = sorted(p.name for p in (out / "networks").iterdir())
    assert len(files) == 6
    rows = manifest(out)
    assert [row["id"] for row in rows] == [f[:-3] for f in files]  # index order = name order
    assert rows[0]["id"] == "0000-vanilla-tanh-h4-s0"
    assert rows[5]["id"] == "0005-lstm-relu-h4-s0"
    for row in rows:
        assert row["outcome"] in ("completed", "diverged")
        assert row["kept"] in ("0", "1")
        assert float(row["seconds"]) > 0
        with h5py.File(out / row["file"], "r") as f:
            assert f["model"].attrs["cell"] == row["cell"]
            assert f["model"].attrs["activation"] == row["activation"]
            assert int(f["model"].attrs["init_seed"]) == int(row["init_seed"])
            assert int(f["training"].attrs["seed"]) == int(row["train_seed"])
            assert f["training"].attrs["n_iterations_done"] == 20
            assert f["evaluation"].attrs["normalized_mse"] == pytest.approx(
                float(row["normalized_mse"]), rel=1e-15)
    assert (out / "sweep.toml").read_text() == config.read_text()
    assert len((out / "sweep.hash").read_text().strip()) == 16
    # Progress on stderr: one line per network with done/total; the report on stdout.
    assert "[6/6]" in result.stderr
    assert "ETA" in result.stderr
    assert "6 networks: 6 trained by this run" in result.stdout


def test_one_and_two_threads_give_identical_weights(run, tiny_sweep, tmp_path):
    config, out, _ = tiny_sweep
    one = tmp_path / "one"
    result = run("sweep", config, "--out", one, "--n-threads", 1, "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert_same_weights(weights(one), weights(out))


def test_rerun_resumes_without_training(run, tiny_sweep):
    config, out, _ = tiny_sweep
    before = weights(out)
    result = run("sweep", config, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "0 trained by this run, 6 already done" in result.stdout
    assert_same_weights(weights(out), before)


def test_killed_run_resumes_to_the_uninterrupted_result(run, cli_path, tmp_path):
    config = write(tmp_path / "slow.toml", SLOW)
    reference = tmp_path / "reference"
    result = run("sweep", config, "--out", reference, "--n-threads", 2, "--quiet", timeout=120)
    assert result.returncode == 0, result.stderr

    out = tmp_path / "killed"
    process = subprocess.Popen([str(cli_path), "sweep", str(config), "--out", str(out),
                                "--n-threads", "2", "--quiet"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    networks = out / "networks"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if networks.is_dir() and any(p.suffix == ".h5" for p in networks.iterdir()):
            break
        time.sleep(0.01)
    assert process.poll() is None, "the sweep finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = [p for p in networks.iterdir() if p.name.endswith(".h5")]
    assert 1 <= len(finished) < 16
    for path in finished:  # every file under its final name is complete
        with h5py.File(path, "r") as f:
            assert f["training"].attrs["termination"] in ("completed", "diverged")
    rows = manifest(out)  # the manifest is complete and readable at any moment
    assert len(rows) == 16
    assert sum(row["outcome"] != "pending" for row in rows) <= len(finished)

    result = run("sweep", config, "--out", out, "--n-threads", 2, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "resuming" in result.stderr
    assert sorted(p.name for p in networks.iterdir()) == sorted(
        p.name for p in (reference / "networks").iterdir())  # no temporary files left
    assert_same_weights(weights(out), weights(reference))
    assert all(row["outcome"] != "pending" for row in manifest(out))


def test_a_different_config_is_refused(run, tiny_sweep, tmp_path):
    _, out, _ = tiny_sweep
    other = write(tmp_path / "other.toml", TINY.replace("n_iterations = 20", "n_iterations = 21"))
    before = weights(out)
    result = run("sweep", other, "--out", out)
    assert_error(result, 2, "holds a different sweep", str(out / "sweep.toml"))
    assert_same_weights(weights(out), before)


def test_a_second_concurrent_run_is_refused(run, cli_path, tmp_path):
    config = write(tmp_path / "slow.toml", SLOW)
    out = tmp_path / "out"
    first = subprocess.Popen([str(cli_path), "sweep", str(config), "--out", str(out),
                              "--n-threads", "1", "--quiet"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not (out / "sweep.hash").exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert first.poll() is None
        second = run("sweep", config, "--out", out)
        assert_error(second, 1, "another rnnatlas sweep is running")
    finally:
        first.kill()
        first.wait()


def test_config_errors_name_the_file_line_and_key(run, tmp_path):
    config = write(tmp_path / "bad.toml", TINY.replace("n_hidden = 4", "n_hidden = [4, 0]"))
    result = run("sweep", config, "--out", tmp_path / "out")
    assert_error(result, 2, f"{config}:8:", "[grid] n_hidden = 0", ">= 1")
    assert not (tmp_path / "out").exists()
    config = write(tmp_path / "bad2.toml", TINY + "[keep]\nmax_nmse = 0.1\n")
    line = len(TINY.splitlines()) + 2
    assert_error(run("sweep", config, "--out", tmp_path / "out"), 2, f"{config}:{line}:", "max_nmse")
    assert_error(run("sweep", tmp_path / "missing.toml", "--out", tmp_path / "out"), 1,
                 "missing.toml")


SWEEP_CONFIGS = sorted(p for p in (REPO / "experiments").glob("*.toml")
                       if not p.stem.startswith("study_"))


@pytest.mark.parametrize("config", SWEEP_CONFIGS, ids=lambda p: p.stem)
def test_shipped_experiment_configs_are_valid(run, config):
    """Every scale has every architecture and nonlinearity; small and paper have real populations
    (demo is the few-minute smoke run of `rnnatlas reproduce`)."""
    result = run("sweep", config, "--list")
    assert result.returncode == 0, result.stderr
    ids = result.stdout.split()
    assert len(ids) == len(set(ids)) >= (8 if config.stem.endswith("_demo") else 24)
    cells = {i.split("-")[1] for i in ids}
    activations = {i.split("-")[2] for i in ids}
    assert cells == {"vanilla", "ugrnn", "gru", "lstm"} and activations == {"tanh", "relu"}
    if config.stem.endswith("_paper"):
        assert len(ids) == 96 * 10


def test_summary_prints_and_writes_the_table(run, tiny_sweep):
    _, out, _ = tiny_sweep
    result = run("summary", out)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:4] == ["cell", "activation", "networks", "trained"]
    body = [line.split() for line in lines[1:-1]]
    assert [(row[0], row[1]) for row in body] == [
        ("vanilla", "tanh"), ("vanilla", "relu"), ("gru", "tanh"), ("gru", "relu"),
        ("lstm", "tanh"), ("lstm", "relu")]
    assert all(row[2] == "1" and row[3] == "1" for row in body)
    assert lines[-1].split()[:3] == ["total", "6", "6"]
    with open(out / "summary.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 6
    rows = manifest(out)
    for group in table:
        (row,) = [r for r in rows if (r["cell"], r["activation"]) == (group["cell"], group["activation"])]
        assert float(group["median_normalized_mse"]) == float(row["normalized_mse"])
        assert int(group["kept"]) == int(row["kept"])
    assert_error(run("summary", out / "networks"), 1, "manifest.csv")


@pytest.mark.parametrize("case", ["below_a_file", "under_proc"])
def test_unwritable_out_fails_before_training(run, tmp_path, case):
    config = write(tmp_path / "tiny.toml", TINY)
    # root writes into read-only directories, so these are unwritable for everyone
    out, needle = {
        "below_a_file": (config / "out", "is a file, not a directory"),
        "under_proc": ("/proc/self/sweep", "no file can be created in '/proc/self'"),
    }[case]
    result = run("sweep", config, "--out", out)
    assert_error(result, 2, "--out", needle)
    assert result.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.toml"]


# A study to grow: GRU networks of a few units, every finished one kept.
GROW = """\
[task]
name = "flip_flop"
n_time = 10

[grid]
cell = "gru"
activation = "tanh"
n_hidden = {n_hidden}
n_iterations = 20
n_batch = 8
learning_rate = {learning_rate}
seeds = {seeds}

[evaluation]
n_eval_batch = 8

[keep]
max_normalized_mse = 100.0
"""


def grow_config(path, n_hidden="[4]", seeds=2, learning_rate="1e-2", n_time=10):
    text = GROW.format(n_hidden=n_hidden, seeds=seeds, learning_rate=learning_rate)
    return write(path, text.replace("n_time = 10", f"n_time = {n_time}"))


def network_files(directory):
    """{file name: (bytes, mtime in ns)} of DIR/networks."""
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted((directory / "networks").iterdir())}


@pytest.mark.parametrize("growth", ["seeds", "n_hidden"])
def test_a_grown_config_trains_only_the_new_networks(run, tmp_path, growth):
    out = tmp_path / "out"
    base = grow_config(tmp_path / "base.toml")
    assert run("sweep", base, "--out", out, "-j", 2, "-q").returncode == 0
    old_rows = manifest(out)
    old_files = network_files(out)
    old_hash = (out / "sweep.hash").read_text().strip()
    assert [r["id"] for r in old_rows] == ["0000-gru-tanh-h4-s0", "0001-gru-tanh-h4-s1"]

    grown = (grow_config(tmp_path / "grown.toml", seeds=3) if growth == "seeds"
             else grow_config(tmp_path / "grown.toml", n_hidden="[4, 6]"))
    result = run("sweep", grown, "--out", out, "-j", 2)
    assert result.returncode == 0, result.stderr
    new_ids = (["0002-gru-tanh-h4-s2"] if growth == "seeds"
               else ["0002-gru-tanh-h6-s0", "0003-gru-tanh-h6-s1"])
    assert f"{len(new_ids)} trained by this run, 2 already done" in result.stdout

    # Old files untouched (bytes and mtime), their rows unchanged; the new ones appended.
    files = network_files(out)
    for name, content in old_files.items():
        assert files[name] == content, name
    assert sorted(set(files) - set(old_files)) == [i + ".h5" for i in new_ids]
    rows = manifest(out)
    assert [r["id"] for r in rows] == [r["id"] for r in old_rows] + new_ids
    assert [int(r["index"]) for r in rows] == list(range(len(rows)))
    for old, row in zip(old_rows, rows):
        assert {k: v for k, v in row.items() if k != "grid_index"} == \
            {k: v for k, v in old.items() if k != "grid_index"}
    assert all(r["outcome"] == "completed" and r["kept"] == "1" for r in rows)
    assert (out / "sweep.toml").read_text() == grown.read_text()
    assert (out / "history" / f"{old_hash}.toml").read_text() == base.read_text()

    # A rerun with the grown config resumes: nothing to train.
    again = run("sweep", grown, "--out", out, "-q")
    assert again.returncode == 0, again.stderr
    assert f"0 trained by this run, {len(rows)} already done" in again.stdout

    # The later stages accept the grown population.
    dynamics = run("dynamics", out, "--n-initial-states", 16, "--fixed-points.max-iters", 50,
                   "--transitions.max-steps", 100, "--n-trials", 4,
                   "--frequency-measure-steps", 50, "-q")
    assert dynamics.returncode == 0, dynamics.stderr
    assert sorted(p.name for p in (out / "dynamics").iterdir()) == \
        sorted(r["id"] + ".h5" for r in rows)
    compared = run("compare", out, "--metric", "svcca", "--svcca.k", 2, "--activity.n-trials", 4,
                   "-j", 2)
    assert compared.returncode == 0, compared.stderr
    with h5py.File(out / "similarity/svcca.h5", "r") as f:
        ids = [i.decode() if isinstance(i, bytes) else i for i in f["network_ids"][()]]
        assert ids == [r["id"] for r in rows]
        assert list(f["labels/n_hidden"][()]) == [int(r["n_hidden"]) for r in rows]
        assert list(f["labels/seed"][()]) == [int(r["seed"]) for r in rows]


def test_a_study_grows_twice_and_ids_stay(run, tmp_path):
    out = tmp_path / "out"
    for config in (grow_config(tmp_path / "a.toml"), grow_config(tmp_path / "b.toml", seeds=3)):
        assert run("sweep", config, "--out", out, "-q").returncode == 0
    before = network_files(out)
    third = grow_config(tmp_path / "c.toml", seeds=3, n_hidden="[4, 6]")
    result = run("sweep", third, "--out", out, "-j", 2, "-q")
    assert result.returncode == 0, result.stderr
    assert "3 trained by this run, 3 already done" in result.stdout
    assert [r["id"] for r in manifest(out)] == [
        "0000-gru-tanh-h4-s0", "0001-gru-tanh-h4-s1", "0002-gru-tanh-h4-s2",
        "0003-gru-tanh-h6-s0", "0004-gru-tanh-h6-s1", "0005-gru-tanh-h6-s2"]
    files = network_files(out)
    assert all(files[name] == content for name, content in before.items())
    assert len(list((out / "history").iterdir())) == 2


@pytest.mark.parametrize("change,needles", [
    ({"learning_rate": "2e-2"},
     ["[grid] learning_rate: 0.01 is not in this config (it has 0.02)"]),
    ({"n_time": 12}, ["[task] n_time: 10 there, 12 here"]),
    ({"seeds": "[1, 2]"}, ["[grid] seeds: 0 is not in this config"]),
], ids=["learning_rate", "task", "dropped_seed"])
def test_a_config_that_does_not_extend_the_study_is_refused(run, tmp_path, change,
                                                            needles):
    out = tmp_path / "out"
    base = grow_config(tmp_path / "base.toml")
    assert run("sweep", base, "--out", out, "-q").returncode == 0
    before = network_files(out)
    changed = grow_config(tmp_path / "changed.toml", **{"seeds": 3, **change})
    result = run("sweep", changed, "--out", out, "-q")
    assert_error(result, 2, "holds a different sweep", "does not extend", *needles)
    assert network_files(out) == before
    assert (out / "sweep.toml").read_text() == base.read_text()
    assert not (out / "history").exists()
