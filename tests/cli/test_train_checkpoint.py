"""`rnnatlas train`: an unwritable output is refused before any training, and a run stopped by
SIGINT or SIGTERM saves a checkpoint that `--resume` continues to the weights of an uninterrupted
run, bit for bit."""

import os
import pathlib
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from conftest import TINY

ERROR = "rnnatlas: error: "
# Long enough that a signal sent after the first checkpoint always arrives mid-run.
LONG = [*TINY[:-6], "--n-iterations", "5000", "--n-batch", "16", "--n-eval-batch", "16",
        "--cell", "gru", "--seed", "3", "--lr-decay-rate", "0.5", "--lr-decay-steps", "600"]


def assert_usage_error(result, *needles):
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.startswith(ERROR), result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    assert result.stdout == ""  # nothing trained, nothing reported


@pytest.mark.parametrize("case", ["below_a_file", "under_proc", "a_directory", "missing_dir"])
def test_unwritable_out_fails_before_training(run, tmp_path, case):
    (tmp_path / "file").write_text("x")
    out, needle = {
        # root writes into read-only directories, so these are unwritable for everyone
        "below_a_file": (tmp_path / "file" / "net.h5", "is a file, not a directory"),
        "under_proc": (pathlib.Path("/proc/self/net.h5"), "no file can be created in '/proc/self'"),
        "a_directory": (tmp_path, "it is a directory; give a file name"),
        "missing_dir": (tmp_path / "no" / "such" / "net.h5", "does not exist"),
    }[case]
    # A million iterations would take minutes: failing fast shows the check comes first.
    started = time.monotonic()
    result = run("train", *TINY, "--n-iterations", "1000000", "--out", out, timeout=20)
    assert time.monotonic() - started < 10
    assert_usage_error(result, "--out", needle)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def read_run(path):
    """Every parameter and the loss history, as stored."""
    with h5py.File(path, "r") as f:
        params = {k: np.array(v) for k, v in f["model/parameters"].items()}
        return params, np.array(f["training/loss"]), f["training"].attrs["termination"]


def start_and_stop(cli_path, out, sig, extra=()):
    """Starts a long `train`, sends `sig` once the first checkpoint exists; returns the result."""
    checkpoint = pathlib.Path(str(out) + ".checkpoint")
    process = subprocess.Popen(
        [str(cli_path), "train", *LONG, "--checkpoint-every", "20", "--out", str(out), *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not checkpoint.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.01)
    process.send_signal(sig)
    stdout, stderr = process.communicate(timeout=60)
    return process.returncode, stdout, stderr, checkpoint


@pytest.fixture(scope="module")
def uninterrupted(run, tmp_path_factory):
    out = tmp_path_factory.mktemp("whole") / "net.h5"
    result = run("train", *LONG, "--out", out, "--quiet", timeout=300)
    assert result.returncode == 0, result.stderr
    assert not pathlib.Path(str(out) + ".checkpoint").exists()  # removed once the run is saved
    return read_run(out)


@pytest.mark.parametrize("sig, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stopped_run_resumes_to_the_uninterrupted_weights(
        run, cli_path, tmp_path, uninterrupted, sig, code):
    out = tmp_path / "net.h5"
    returncode, _, stderr, checkpoint = start_and_stop(cli_path, out, sig)
    assert returncode == code, stderr
    assert "--resume to continue" in stderr
    assert checkpoint.is_file()
    assert not out.exists()  # the run is not done
    with h5py.File(checkpoint, "r") as f:
        done = int(f["training"].attrs["n_iterations_done"])
        assert f["training"].attrs["termination"] == "interrupted"
    assert 20 <= done < 5000, done

    result = run("train", *LONG, "--out", out, "--resume", timeout=300)
    assert result.returncode == 0, result.stderr
    assert f"resuming from {checkpoint} after {done} of 5000 iterations" in result.stderr
    assert not checkpoint.exists()
    params, loss, termination = read_run(out)
    whole_params, whole_loss, _ = uninterrupted
    assert termination == "completed"
    assert params.keys() == whole_params.keys()
    for name in params:
        assert params[name].tobytes() == whole_params[name].tobytes(), name
    assert loss.tobytes() == whole_loss.tobytes()


def test_a_checkpoint_is_kept_unless_resumed_or_deleted(run, cli_path, tmp_path):
    out = tmp_path / "net.h5"
    returncode, _, stderr, checkpoint = start_and_stop(cli_path, out, signal.SIGINT)
    assert returncode == 130, stderr
    saved = checkpoint.read_bytes()

    # Without --resume the run would start over and overwrite the checkpoint: refused.
    result = run("train", *LONG, "--out", out, timeout=20)
    assert_usage_error(result, str(checkpoint), "add --resume", "delete the file")
    # A run set up otherwise cannot continue it.
    result = run("train", *LONG, "--learning-rate", "0.02", "--out", out, "--resume", timeout=20)
    assert_usage_error(result, "set up differently", "learning_rate: 0.001 vs 0.02")
    assert checkpoint.read_bytes() == saved
    assert not out.exists()


def test_resume_without_a_checkpoint_trains_from_the_start(run, tmp_path):
    out = tmp_path / "net.h5"
    result = run("train", *TINY, "--out", out, "--resume")
    assert result.returncode == 0, result.stderr
    assert "no checkpoint" in result.stderr
    assert out.is_file()
