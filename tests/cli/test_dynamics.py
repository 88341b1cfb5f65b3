"""End-to-end tests of `rnnatlas dynamics` (docs/dynamics.md, docs/pipeline.md).

For a network file the command prints the fixed points per condition and the task analysis and
writes FILE.dynamics.h5 (or --out); for a sweep directory it writes DIR/dynamics/<id>.h5 for every
kept network and resumes. These tests check the printed summary and the files (with h5py), the
population run and its resume, and the errors for bad input: exit 2 for a path that is not a
network file or sweep directory and for bad flags, exit 1 for an unreadable network file.
"""

import os

import h5py
import numpy as np
import pytest

ERROR = "rnnatlas: error: "

# Cheap analysis options: each run takes a fraction of a second.
QUICK = ["--n-initial-states", "32", "--fixed-points.max-iters", "100",
         "--transitions.max-steps", "200", "--n-trials", "4", "--frequency-measure-steps", "100",
         "--n-threads", "1"]

TINY_SWEEP = """\
[task]
name = "flip_flop"
n_time = 10

[grid]
cell = ["vanilla", "gru"]
activation = "tanh"
n_hidden = 4
n_iterations = 20
n_batch = 8
seeds = 2

[evaluation]
n_eval_batch = 8

[keep]
max_normalized_mse = 100
"""


def assert_error(result, code, *needles):
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.startswith(ERROR), result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    for crash in ("terminate called", "Traceback", "what():", "Aborted"):
        assert crash not in result.stderr


@pytest.fixture(scope="module")
def flip_flop_network(run, tmp_path_factory):
    path = tmp_path_factory.mktemp("dyn") / "ff.h5"
    result = run("train", "--task", "flip_flop", "--task-param", "n_time=20", "--cell", "vanilla",
                 "--n-hidden", "8", "--n-iterations", "60", "--n-batch", "16", "--n-eval-batch",
                 "16", "--out", path, "-q")
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture(scope="module")
def sine_network(run, tmp_path_factory):
    path = tmp_path_factory.mktemp("dyn") / "sine.h5"
    result = run("train", "--task", "sine_wave", "--task-param", "n_time=30", "--cell", "gru",
                 "--n-hidden", "6", "--n-iterations", "20", "--n-batch", "8", "--n-eval-batch", "8",
                 "--out", path, "-q")
    assert result.returncode == 0, result.stderr
    return path


def test_network_file_summary_and_output_beside_it(run, flip_flop_network):
    result = run("dynamics", flip_flop_network, *QUICK)
    assert result.returncode == 0, result.stderr
    out = flip_flop_network.parent / "ff.dynamics.h5"
    assert out.is_file()
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"network {flip_flop_network}: vanilla tanh, n_hidden 8")
    assert lines[1].split()[:3] == ["condition", "points", "stable"]
    assert lines[1].split()[-2:] == ["unresolved", "cycles"]
    assert lines[2].startswith("zero input")
    assert any(line.startswith("flip_flop: ") for line in lines)
    assert lines[-1] == f"dynamics: {out}"
    with h5py.File(out, "r") as f:
        assert f.attrs["format"] == "rnnatlas.dynamics"
        assert f.attrs["format_version"] == 2
        assert f.attrs["network_file"] == "ff.h5"
        assert f.attrs["network_id"] == "ff"
        assert f.attrs["task"] == "flip_flop"
        assert f.attrs["n_conditions"] == 1
        assert f["options"].attrs["n_initial_states"] == 32
        group = f["conditions/0"]
        n_points = group.attrs["n_points"]
        assert group["states"].shape == (n_points, 8)
        # The printed points column is this file's n_points, the last one its limit cycles.
        assert int(lines[2].split()[2]) == n_points
        assert int(lines[2].split()[-1]) == group.attrs["n_cycles"]
        assert group["cycle_transitions"].shape == (n_points, group.attrs["n_cycles"])
        assert f["options"].attrs["transitions.find_limit_cycles"] == 1
        assert f["trajectories/states"].shape == (4, 20, 8)
        assert f["topology/label_graph"].shape == (27, 27)
        labels = f["analysis/labels"][()]
        assert labels.shape == (n_points, 3) and set(np.unique(labels)) <= {-1, 0, 1}


def test_out_elsewhere_and_threads_do_not_change_the_result(run, flip_flop_network, tmp_path):
    a, b = tmp_path / "a.h5", tmp_path / "sub" / "b.h5"
    b.parent.mkdir()
    assert run("dynamics", flip_flop_network, *QUICK, "--out", a, "-q").returncode == 0
    result = run("dynamics", flip_flop_network, *QUICK, "--out", b, "--n-threads", "2", "-q")
    assert result.returncode == 0, result.stderr
    with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
        assert fb.attrs["network_file"] == os.path.relpath(flip_flop_network, b.parent)
        np.testing.assert_array_equal(fa["conditions/0/states"][()], fb["conditions/0/states"][()])
        np.testing.assert_array_equal(fa["topology/label_graph"][()],
                                      fb["topology/label_graph"][()])


def test_no_limit_cycles_leaves_moving_runs_unresolved(run, flip_flop_network, tmp_path):
    out = tmp_path / "plain.h5"
    result = run("dynamics", flip_flop_network, *QUICK, "--no-limit-cycles", "--out", out, "-q")
    assert result.returncode == 0, result.stderr
    with h5py.File(out, "r") as f:
        assert f["options"].attrs["transitions.find_limit_cycles"] == 0
        assert f["conditions/0"].attrs["n_cycles"] == 0


def test_sine_wave_inputs_and_frequencies(run, sine_network, tmp_path):
    out = tmp_path / "sine.dynamics.h5"
    result = run("dynamics", sine_network, *QUICK, "--input-stride", "25", "--out", out)
    assert result.returncode == 0, result.stderr
    assert "w_hat" in result.stdout.splitlines()[1]
    assert "u = 0.2696 (w = 0.1)" in result.stdout  # j = 1 of 51
    assert "sine_wave: " in result.stdout
    with h5py.File(out, "r") as f:
        assert f.attrs["n_conditions"] == 3  # j = 1, 26, 51
        np.testing.assert_allclose(f["analysis/target_frequency"][()], [0.1, 0.35, 0.6])
        np.testing.assert_allclose([f[f"conditions/{k}/input"][0] for k in range(3)],
                                   [1 / 51 + 0.25, 26 / 51 + 0.25, 1.25])
        assert f["analysis/has_unstable_complex"].dtype == np.uint8


@pytest.fixture
def sweep_dir(run, tmp_path):
    config = tmp_path / "tiny.toml"
    config.write_text(TINY_SWEEP)
    directory = tmp_path / "sweep"
    result = run("sweep", config, "--out", directory, "--n-threads", "2", "-q")
    assert result.returncode == 0, result.stderr
    return directory


def test_sweep_directory_is_analysed_and_resumed(run, sweep_dir):
    result = run("dynamics", sweep_dir, *QUICK, "--n-threads", "2")
    assert result.returncode == 0, result.stderr
    assert "analysed 4 networks (0 already done) of 4 kept" in result.stdout
    assert "[4/4]" in result.stderr and "ETA" in result.stderr
    files = sorted((sweep_dir / "dynamics").iterdir())
    ids = sorted(p.stem for p in (sweep_dir / "networks").iterdir())
    assert [p.stem for p in files] == ids
    for path in files:
        with h5py.File(path, "r") as f:
            assert f.attrs["network_id"] == path.stem
            assert f.attrs["network_file"] == f"networks/{path.stem}.h5"
    mtimes = {p: p.stat().st_mtime_ns for p in files}

    again = run("dynamics", sweep_dir, *QUICK, "--n-threads", "2")
    assert again.returncode == 0, again.stderr
    assert "analysed 0 networks (4 already done) of 4 kept" in again.stdout
    assert {p: p.stat().st_mtime_ns for p in files} == mtimes

    files[1].unlink()
    third = run("dynamics", sweep_dir, *QUICK, "-q")
    assert "analysed 1 networks (3 already done) of 4 kept" in third.stdout
    assert files[1].is_file()


def test_missing_path_and_non_sweep_directory_are_usage_errors(run, tmp_path):
    assert_error(run("dynamics", tmp_path / "none.h5"), 2, "none.h5", "does not exist")
    assert_error(run("dynamics", tmp_path), 2, str(tmp_path), "not a sweep directory")


@pytest.mark.parametrize("content", [b"", b"not an HDF5 file\n" * 100], ids=["empty", "garbage"])
def test_unreadable_network_file_is_a_failure(run, tmp_path, content):
    path = tmp_path / "net.h5"
    path.write_bytes(content)
    assert_error(run("dynamics", path), 1, str(path))
    assert not (tmp_path / "net.dynamics.h5").exists()


def test_a_dynamics_file_is_not_a_network_file(run, flip_flop_network, tmp_path):
    out = tmp_path / "d.h5"
    assert run("dynamics", flip_flop_network, *QUICK, "--out", out, "-q").returncode == 0
    assert_error(run("dynamics", out, *QUICK), 1, str(out), "not an rnnatlas network file")


@pytest.mark.parametrize("flags, needles", [
    (["--n-initial-states", "0"], ["--n-initial-states: must be >= 1, got 0"]),
    (["--linearization.stability-tol", "2"],
     ["--linearization.stability-tol: must be in [0, 1), got 2"]),
    (["--stability-tol", "2"], ["--stability-tol: must be in [0, 1), got 2"]),
    (["--input-stride", "0"], ["--input-stride: must be >= 1"]),
    (["--noise-scale", "-1"], ["--noise-scale: must be >= 0 and finite, got -1"]),
    (["--fixed-points.lr-initial", "0"], ["--fixed-points.lr-initial: must be > 0"]),
    (["--transitions.limit-cycles.min-winding-consistency", "0.5"],
     ["--transitions.limit-cycles.min-winding-consistency: must be in (0.5, 1], got 0.5"]),
    # A rule between two fields is checked after parsing and names the flag given.
    (["--fixed-points.lr-min", "0.5"],
     ["--fixed-points.lr-min = 0.5: must be in (0, lr_initial]"]),
    (["--seed", "-1"], ["--seed", "-1"]),
    (["--n-trials", "abc"], ["--n-trials", "abc"]),
    (["--n-threads", "-2"], ["--n-threads"]),
])
def test_bad_flags_are_usage_errors(run, flip_flop_network, tmp_path, flags, needles):
    out = tmp_path / "x.h5"
    assert_error(run("dynamics", flip_flop_network, *flags, "--out", out), 2, *needles)
    assert not out.exists()


def test_out_with_a_directory_is_a_usage_error(run, sweep_dir, tmp_path):
    assert_error(run("dynamics", sweep_dir, "--out", tmp_path / "x.h5"), 2, "--out")


@pytest.mark.parametrize("case", ["a_directory", "below_a_file", "under_proc"])
def test_unwritable_output_fails_before_the_analysis(run, flip_flop_network, tmp_path, case):
    (tmp_path / "file").write_text("x")
    # root writes into read-only directories, so these are unwritable for everyone
    out, needle = {
        "a_directory": (tmp_path, "it is a directory; give a file name"),
        "below_a_file": (tmp_path / "file" / "x.h5", "is a file, not a directory"),
        "under_proc": ("/proc/self/x.h5", "no file can be created in '/proc/self'"),
    }[case]
    result = run("dynamics", flip_flop_network, *QUICK, "--out", out)
    assert_error(result, 2, "--out", needle)
    assert "analysing" not in result.stderr and result.stdout == ""  # no work was started
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_a_sweep_directory_whose_dynamics_cannot_be_written_fails_before_the_analysis(
        run, sweep_dir):
    (sweep_dir / "dynamics").write_text("in the way")
    result = run("dynamics", sweep_dir, *QUICK)
    assert_error(result, 2, str(sweep_dir / "dynamics"), "is a file, not a directory")
    assert result.stdout == ""
