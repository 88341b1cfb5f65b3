"""`rnnatlas sweep` under `mpirun -n K`: the networks spread over ranks (docs/sweep.md, "Across
machines").

Checks: 2 ranks and 1 rank give the same manifest and bit-identical weights as the threaded run;
rerunning resumes (only a deleted network is trained again); an error on a worker rank, an invalid
config and a refused directory end every rank with one message from rank 0 and the same exit status,
without hanging. Skipped when rnnatlas was built without MPI or Open MPI's mpirun is missing.
"""

import shutil
import subprocess

import pytest

from test_sweep import assert_same_weights, manifest, weights, write

ERROR = "rnnatlas: error: "

# 6 networks of n_hidden 8, 100 iterations each: a fraction of a second per network.
CONFIG = """\
[task]
name = "flip_flop"
n_time = 20

[grid]
cell = ["vanilla", "gru", "lstm"]
activation = ["tanh", "relu"]
n_hidden = 8
n_iterations = 100
n_batch = 16
seeds = 1

[evaluation]
n_eval_batch = 16
"""


@pytest.fixture(scope="module")
def mpirun(mpi_launcher, cli_path):
    """mpirun(n_ranks, *rnnatlas_args, timeout=60) -> CompletedProcess."""
    words, env = mpi_launcher

    def mpirun_cli(n_ranks, *args, timeout=60):
        return subprocess.run([*words, "-n", str(n_ranks), str(cli_path), *map(str, args)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout, env=env)

    return mpirun_cli


@pytest.fixture(scope="module")
def threaded(run, tmp_path_factory):
    """The reference: the same sweep on 2 threads, no MPI. (config path, directory)."""
    root = tmp_path_factory.mktemp("sweep_mpi")
    config = write(root / "config.toml", CONFIG)
    out = root / "threaded"
    result = run("sweep", config, "--out", out, "--n-threads", 2, "--quiet")
    assert result.returncode == 0, result.stderr
    return config, out


def without_timing(rows):
    """Rows without what depends on when the run happened: its seconds, and the hash of a network
    file, which records its creation time."""
    return [{k: v for k, v in row.items() if k not in ("seconds", "file_hash")} for row in rows]


def assert_one_error(result, status, *needles):
    """Every rank exits with `status`; the message is printed once (by rank 0); no crash."""
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.count(ERROR) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    for crash in ("terminate called", "what():", "Aborted", "MPI_ABORT", "Segmentation"):
        assert crash not in result.stderr, result.stderr


@pytest.mark.parametrize("n_ranks", [2, 1])
def test_ranks_give_the_threaded_result(mpirun, threaded, tmp_path, n_ranks):
    config, reference = threaded
    out = tmp_path / "out"
    result = mpirun(n_ranks, "sweep", config, "--out", out)
    assert result.returncode == 0, result.stderr
    # Rank 0 alone prints: the start note, one progress line per network, the report.
    assert result.stderr.count(f"{n_ranks} MPI ranks x 1 thread") == 1, result.stderr
    assert result.stderr.count("[6/6]") == 1, result.stderr
    assert result.stdout.count("6 networks: 6 trained by this run, 0 already done") == 1
    rows = manifest(out)
    assert all(row["outcome"] in ("completed", "diverged") for row in rows)
    assert all(float(row["seconds"]) > 0 for row in rows)
    assert without_timing(rows) == without_timing(manifest(reference))  # metrics to the last digit
    assert_same_weights(weights(out), weights(reference))
    assert (out / "sweep.toml").read_text() == config.read_text()


def test_rerun_under_mpi_trains_only_the_missing_network(mpirun, threaded, tmp_path):
    config, reference = threaded
    out = tmp_path / "out"
    shutil.copytree(reference, out)  # a finished sweep (how it was run does not matter)
    networks = out / "networks"
    lost = networks / "0003-gru-relu-h8-s0.h5"
    lost.unlink()
    before = {p.name: p.stat().st_mtime_ns for p in networks.iterdir()}

    result = mpirun(2, "sweep", config, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "resuming: 5 of 6 networks already done" in result.stderr
    assert "6 networks: 1 trained by this run, 5 already done" in result.stdout
    assert {p.name: p.stat().st_mtime_ns for p in networks.iterdir() if p != lost} == before
    assert_same_weights(weights(out), weights(reference))
    assert without_timing(manifest(out)) == without_timing(manifest(reference))


def test_an_error_on_a_worker_rank_stops_every_rank(mpirun, threaded, tmp_path):
    config, reference = threaded
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    # The two most expensive networks (the LSTMs) are to be trained again: rank 0 takes the
    # first; the second, whose file cannot be written (a directory holds its name), goes to
    # rank 1 as a rule (then the message starts "rank 1 (host): "), or to rank 0 if rank 1 is
    # slow to ask. (src/sweep/mpi_runner_test.cc checks errors on another rank deterministically.)
    (out / "networks" / "0004-lstm-tanh-h8-s0.h5").unlink()
    blocked = out / "networks" / "0005-lstm-relu-h8-s0.h5"
    blocked.unlink()
    blocked.mkdir()
    (blocked / "keep").write_text("")

    result = mpirun(2, "sweep", config, "--out", out, "--quiet", timeout=60)
    assert_one_error(result, 1, str(blocked))
    # The network in flight on rank 0 finished and is recorded; nothing is left behind.
    assert (out / "networks" / "0004-lstm-tanh-h8-s0.h5").is_file()
    rows = {row["id"]: row for row in manifest(out)}
    assert rows["0004-lstm-tanh-h8-s0"]["outcome"] != "pending"
    assert rows["0005-lstm-relu-h8-s0"]["outcome"] == "pending"
    assert not [p for p in (out / "networks").iterdir() if ".tmp-" in p.name]


def test_an_invalid_config_fails_the_same_way_on_every_rank(mpirun, tmp_path):
    config = write(tmp_path / "bad.toml", CONFIG.replace("n_hidden = 8", "n_hidden = [8, 0]"))
    result = mpirun(2, "sweep", config, "--out", tmp_path / "out")
    assert_one_error(result, 2, f"{config}:8:", "[grid] n_hidden = 0")
    assert not (tmp_path / "out").exists()


def test_a_directory_rank_zero_refuses_releases_every_rank(mpirun, threaded, tmp_path):
    config, reference = threaded
    out = tmp_path / "out"
    shutil.copytree(reference, out)
    other = write(tmp_path / "other.toml", CONFIG.replace("n_iterations = 100", "n_iterations = 99"))
    result = mpirun(2, "sweep", other, "--out", out, timeout=60)
    assert_one_error(result, 2, "holds a different sweep")
    assert_same_weights(weights(out), weights(reference))
