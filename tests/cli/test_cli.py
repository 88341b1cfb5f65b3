"""End-to-end tests of the `rnnatlas` command-line program (train, eval, info).

Exit codes: 0 ok, 1 failure (files, divergence), 2 usage error. Every error on stderr starts with
"rnnatlas: error: ". Fixtures (the binary, a tiny trained network) are in conftest.py.
"""

import json
import math
import os
import pty
import re
import subprocess

import h5py
import pytest

from conftest import TINY

ERROR = "rnnatlas: error: "


def assert_error(result, code, *needles):
    """The run failed with `code`, one clean error message naming every needle, no crash."""
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.startswith(ERROR), result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    for crash in ("terminate called", "Traceback", "what():", "Aborted"):
        assert crash not in result.stderr


def info_json(run, path):
    result = run("info", "--json", path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def eval_values(stdout):
    """The 'key value' lines printed by `rnnatlas eval`."""
    return dict(line.split(None, 1) for line in stdout.splitlines() if line.strip())


# ---- help and version ------------------------------------------------------------------------


def test_help_lists_every_subcommand(run):
    result = run("--help")
    assert result.returncode == 0
    for command in ("train", "eval", "info"):
        assert re.search(rf"^\s+{command}\s", result.stdout, re.M), result.stdout


@pytest.mark.parametrize(
    "command, flags",
    [
        ("train", ["--task", "--task-param", "--cell", "--n-hidden", "--learning-rate",
                   "--gradient-clip-norm", "--n-iterations", "--train-seed", "--config", "--out",
                   "n_bits=3"]),
        ("eval", ["--n-eval-batch", "--eval-seed", "FILE"]),
        ("info", ["--json", "FILE"]),
    ],
)
def test_subcommand_help_lists_its_flags(run, command, flags):
    result = run(command, "--help")
    assert result.returncode == 0
    for flag in flags:
        assert flag in result.stdout, flag


def test_train_help_shows_library_defaults(run):
    text = run("train", "--help").stdout
    assert re.search(r"--n-hidden INT=64\b", text), text
    assert re.search(r"--learning-rate FLOAT=0\.001\b", text), text
    assert "sine_wave:" in text and "context_integration:" in text


def test_version(run):
    result = run("--version")
    assert result.returncode == 0
    assert re.match(r"rnnatlas \d+\.\d+\.\d+", result.stdout)


def test_no_subcommand_is_a_usage_error(run):
    assert_error(run(), 2)


def test_unknown_flag_is_a_usage_error(run, tmp_path):
    assert_error(run("train", "--no-such-flag", "--out", tmp_path / "x.h5"), 2, "--no-such-flag")


# ---- train, info, eval -----------------------------------------------------------------------


def test_train_reports_and_saves(tiny_network):
    path, result = tiny_network
    assert path.is_file()
    assert f"saved {path}" in result.stdout
    assert re.search(r"held-out \(16 trials.*normalized mse", result.stdout), result.stdout
    # Not a terminal: plain progress lines, the last one at the final iteration.
    assert "iter 30/30 loss" in result.stderr, result.stderr
    assert "\r" not in result.stderr


def test_info_shows_the_architecture(run, tiny_network):
    path, _ = tiny_network
    result = run("info", path)
    assert result.returncode == 0, result.stderr
    assert re.search(r"architecture\s+lstm, tanh: n_input 3, n_hidden 8, n_output 3 \(n_state 16\)",
                     result.stdout), result.stdout
    assert re.search(r"weight_hh_l0\s+\[32, 8\]", result.stdout)
    assert re.search(r"bias_ih_l0\s+\[32\]", result.stdout)
    assert re.search(r"^task\s+flip_flop$", result.stdout, re.M)
    assert re.search(r"n_time\s+20$", result.stdout, re.M)
    assert re.search(r"outcome\s+completed", result.stdout)


def test_info_json_has_every_field(run, tiny_network):
    path, _ = tiny_network
    info = info_json(run, path)
    assert info["architecture"] == {"cell": "lstm", "activation": "tanh", "n_input": 3,
                                    "n_hidden": 8, "n_output": 3, "n_state": 16}
    shapes = {p["name"]: p["shape"] for p in info["parameters"]}
    assert shapes == {"weight_ih_l0": [32, 3], "weight_hh_l0": [32, 8], "bias_ih_l0": [32],
                      "bias_hh_l0": [32], "readout.weight": [3, 8], "readout.bias": [3]}
    assert info["n_params"] == sum(math.prod(s) for s in shapes.values())
    assert info["init_seed"] == 7
    assert info["task"]["name"] == "flip_flop"
    assert info["task"]["params"]["n_time"] == 20
    assert info["task"]["params"]["n_bits"] == 3
    training = info["training"]
    assert (training["n_iterations"], training["n_batch"], training["n_eval_batch"]) == (30, 16, 16)
    assert training["seed"] == 7  # --train-seed defaults to --seed
    assert training["learning_rate"] == 1e-3
    outcome = info["outcome"]
    assert outcome["termination"] == "completed"
    assert outcome["n_iterations_done"] == 30
    assert math.isfinite(outcome["final_loss"])
    assert info["eval"]["n_trials"] == 16
    assert 0 <= info["eval"]["sign_accuracy"] <= 1
    assert info["format_version"] == 1
    assert re.match(r"\d+\.\d+\.\d+", info["library_version"])


def test_info_json_matches_the_file(run, tiny_network):
    path, _ = tiny_network
    info = info_json(run, path)
    with h5py.File(path, "r") as f:
        assert info["outcome"]["final_loss"] == f["training/loss"][-1]
        assert info["eval"]["mse"] == f["evaluation"].attrs["mse"]
        stored = dict(f["training"].attrs)
    # info shows every stored training option (TrainOptions::schema()), and nothing else of /training
    assert set(info["training"]) == set(stored) - {"termination", "message", "n_iterations_done",
                                                   "seconds"}
    for key, value in info["training"].items():
        assert value == stored[key], key


def test_eval_reproduces_the_stored_metrics(run, tiny_network):
    path, _ = tiny_network
    result = run("eval", path)
    assert result.returncode == 0, result.stderr
    values = eval_values(result.stdout)
    with h5py.File(path, "r") as f:
        stored = dict(f["evaluation"].attrs)
    assert int(values["n_trials"]) == 16
    assert float(values["normalized_mse"]) == pytest.approx(stored["normalized_mse"], rel=1e-9)
    assert float(values["mse"]) == pytest.approx(stored["mse"], rel=1e-9)
    assert float(values["sign_accuracy"]) == pytest.approx(stored["sign_accuracy"], rel=1e-9)


def test_eval_with_other_trials(run, tiny_network):
    path, _ = tiny_network
    default = eval_values(run("eval", path).stdout)
    result = run("eval", path, "--n-eval-batch", "24", "--eval-seed", "5")
    assert result.returncode == 0, result.stderr
    values = eval_values(result.stdout)
    assert (values["n_trials"], values["seed"]) == ("24", "5")
    assert values["normalized_mse"] != default["normalized_mse"]
    assert "deprecated" not in result.stderr


def test_old_spellings_still_work_and_warn(run, tmp_path, tiny_network):
    path, _ = tiny_network
    new = run("eval", path, "--n-eval-batch", "24", "--eval-seed", "5")
    old = run("eval", path, "--n-batch", "24", "--seed", "5")
    assert old.returncode == 0, old.stderr
    assert old.stdout == new.stdout
    assert "--n-batch is deprecated" in old.stderr and "use --n-eval-batch" in old.stderr
    assert "--seed is deprecated" in old.stderr and "use --eval-seed" in old.stderr
    bad = run("train", *TINY, "--iterations", "0", "--out", tmp_path / "bad.h5")
    assert bad.returncode == 2 and "rnnatlas: error: --iterations = 0: " in bad.stderr, bad.stderr
    help_text = run("eval", "--help").stdout
    deprecated = help_text[help_text.index("Deprecated:"):]
    assert "--n-batch" in deprecated and "old spelling of --n-eval-batch" in deprecated
    moved = run("dynamics", tmp_path / "none.h5", "--frequency-steps", "10")
    assert "--frequency-steps is deprecated" in moved.stderr and moved.returncode == 2
    assert "use --frequency-measure-steps" in moved.stderr
    # The thread count is --n-threads, the n_threads of the Python API; --threads warns.
    for command in ("sweep", "dynamics", "compare", "embed", "reproduce"):
        threads = run(command, "--help").stdout
        assert "-j,--n-threads" in threads and "old spelling of --n-threads" in threads, command
    moved = run("dynamics", tmp_path / "none.h5", "--threads", "1")
    assert "--threads is deprecated" in moved.stderr and "use --n-threads" in moved.stderr
    assert moved.returncode == 2
    assert run("dynamics", ".", "--threads", "-2").stderr.startswith(
        "rnnatlas: error: --threads: must be >= 0, got -2")
    assert run("embed", "x", "--starts", "0").stderr.startswith(
        "rnnatlas: error: --starts: must be >= 1, got 0")
    for old_flag, new_flag in [("--iterations", "--n-iterations"),
                               ("--clip", "--gradient-clip-norm")]:
        out_old, out_new = tmp_path / "old.h5", tmp_path / "new.h5"
        trained = [run("train", *TINY, flag, "3", "--out", out, "--quiet")
                   for flag, out in [(old_flag, out_old), (new_flag, out_new)]]
        assert [r.returncode for r in trained] == [0, 0], trained[0].stderr
        assert f"{old_flag} is deprecated" in trained[0].stderr, trained[0].stderr
        assert f"use {new_flag}" in trained[0].stderr
        key = new_flag[2:].replace("-", "_")
        with h5py.File(out_old, "r") as a, h5py.File(out_new, "r") as b:
            assert a["training"].attrs[key] == b["training"].attrs[key] == 3


def test_eval_show_trial_draws_inputs_targets_and_outputs(run, tiny_network):
    path, _ = tiny_network
    result = run("eval", path, "--show-trial")
    assert result.returncode == 0, result.stderr
    strips = re.findall(r"(input|target|output) +([-+.]+)", result.stdout)
    assert [kind for kind, _ in strips] == ["input", "target", "output"] * 3  # three channels
    for channel in range(3):
        pulses, target, output = (strip for _, strip in strips[3 * channel : 3 * channel + 3])
        assert len(pulses) == len(target) == len(output) == 20  # n_time of the tiny task
        # The target holds the sign of the last pulse on its channel, including the pulse's step.
        last = None
        for pulse, held in zip(pulses, target):
            last = pulse if pulse != "." else last
            assert held == last


def test_same_seed_gives_the_same_network(run, tiny_network, tmp_path):
    path, _ = tiny_network
    again = tmp_path / "again.h5"
    result = run("train", *TINY, "--cell", "lstm", "--seed", "7", "--out", again, "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # --quiet: no progress
    with h5py.File(path, "r") as a, h5py.File(again, "r") as b:
        for name, dataset in a["model/parameters"].items():
            assert (dataset[()] == b["model/parameters"][name][()]).all(), name


def test_progress_bar_on_a_terminal(cli_path, tmp_path):
    main, replica = pty.openpty()
    try:
        process = subprocess.run(
            [str(cli_path), "train", *TINY, "--out", tmp_path / "bar.h5"],
            stdout=subprocess.PIPE, stderr=replica, timeout=60)
        os.close(replica)
        replica = -1
        chunks = []
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # EIO: the terminal is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main)
        if replica >= 0:
            os.close(replica)
    assert process.returncode == 0
    bar = b"".join(chunks).decode()
    assert re.search(r"\r\[#+\] 30/30 100%  loss \S+  \S+ it/s  ETA", bar), repr(bar)
    assert "iter 30/30" not in bar


# ---- config files ----------------------------------------------------------------------------

CONFIG = """\
out = "{out}"

[task]
name = "flip_flop"
n_bits = 2
n_time = 15

[model]
cell = "vanilla"
activation = "relu"
n_hidden = 5
seed = 3

[training]
n_iterations = 20
n_batch = 8
learning_rate = 2e-3
n_eval_batch = 8
seed = 11
"""


def test_config_file_and_flag_override(run, tmp_path):
    out = tmp_path / "from_config.h5"
    config = tmp_path / "run.toml"
    config.write_text(CONFIG.format(out=out))
    result = run("train", "--config", config, "--n-hidden", "6", "--task-param", "n_time=12",
                 "--quiet")
    assert result.returncode == 0, result.stderr
    info = info_json(run, out)
    assert info["architecture"]["cell"] == "vanilla"
    assert info["architecture"]["activation"] == "relu"
    assert info["architecture"]["n_input"] == 2  # n_bits from the file
    assert info["architecture"]["n_hidden"] == 6  # the flag wins over the file's 5
    assert info["task"]["params"]["n_time"] == 12  # likewise for a task parameter
    assert info["init_seed"] == 3
    assert info["training"]["seed"] == 11
    assert info["training"]["n_iterations"] == 20
    assert info["training"]["learning_rate"] == 2e-3


BAD_FLAGS = [
    (["--cell", "foo"], ["--cell", "foo"]),
    (["--activation", "sigmoid"], ["--activation", "sigmoid"]),
    (["--n-hidden", "0"], ["--n-hidden = 0", "n_hidden"]),
    (["--n-hidden", "eight"], ["--n-hidden", "eight"]),
    (["--learning-rate", "-1"], ["--learning-rate = -1", "learning_rate"]),
    (["--n-iterations", "0"], ["--n-iterations = 0", "n_iterations"]),
    (["--n-eval-batch", "0"], ["--n-eval-batch = 0", "n_eval_batch"]),
    (["--task", "juggling"], ["--task = juggling", "juggling"]),
    (["--task-param", "bogus=1"], ["--task-param bogus=1", "bogus", "n_time"]),
    (["--task-param", "n_time=0"], ["--task-param n_time=0", "n_time"]),
    (["--task-param", "n_time"], ["--task-param n_time", "KEY=VALUE"]),
    (["--task-param", "n_time=abc"], ["--task-param n_time=abc", "abc"]),
    (["--seed", "-1"], ["--seed", "-1"]),
]


@pytest.mark.parametrize("flags, needles", BAD_FLAGS, ids=lambda v: " ".join(v))
def test_bad_flag_is_a_usage_error(run, tmp_path, flags, needles):
    out = tmp_path / "bad.h5"
    assert_error(run("train", *TINY, *flags, "--out", out), 2, *needles)
    assert list(tmp_path.iterdir()) == []


def test_missing_out_is_a_usage_error(run):
    assert_error(run("train", *TINY), 2, "--out")


BAD_CONFIGS = [
    # (config text, needles in the message; {path} is the config file)
    ('[model]\nn_hidden = 8\nn_hiden = 8\n', ["{path}:3", "n_hiden", "[model]"]),
    ('lerning_rate = 1e-3\n', ["{path}:1", "lerning_rate"]),
    ('[training]\nn_batch = 16\nlearning_rate = "fast"\n',
     ["{path}:3", "learning_rate", "expected a number", "string"]),
    ('[model]\nn_hidden = 8.5\n', ["{path}:2", "n_hidden", "expected an integer"]),
    ('[model]\nn_hidden = 0\n', ["{path}:2", "[model] n_hidden = 0"]),
    ('[task]\nname = "flip_flop"\nbogus = 1\n', ["{path}:3", "bogus"]),
    ('[task]\nn_time = "long"\n', ["{path}:2", "n_time", "expected a number"]),
    ('task = "flip_flop"\n', ["{path}:1", "task", "must be a table"]),
    ('[model\nn_hidden = 8\n', ["{path}:1:7"]),  # a TOML syntax error: file:line:column
]


@pytest.mark.parametrize("text, needles", BAD_CONFIGS, ids=range(len(BAD_CONFIGS)))
def test_bad_config_is_a_usage_error(run, tmp_path, text, needles):
    config = tmp_path / "bad.toml"
    config.write_text(text)
    out = tmp_path / "bad.h5"
    # No flags that the config sets: they would override it.
    result = run("train", "--config", config, "--n-iterations", "30", "--out", out)
    assert_error(result, 2, *[n.format(path=config) for n in needles])
    assert not out.exists()


def test_missing_config_is_a_usage_error(run, tmp_path):
    assert_error(run("train", "--config", tmp_path / "none.toml", "--out", tmp_path / "x.h5"), 2,
                 "none.toml")


# ---- file errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["eval", "info"])
@pytest.mark.parametrize("content", [None, b"", b"not an HDF5 file\n" * 100], ids=["missing", "empty", "garbage"])
def test_unreadable_network_file_is_a_failure(run, tmp_path, command, content):
    path = tmp_path / "net.h5"
    if content is not None:
        path.write_bytes(content)
    assert_error(run(command, path), 1, str(path))


def test_truncated_network_file_is_a_failure(run, tiny_network, tmp_path):
    path, _ = tiny_network
    truncated = tmp_path / "truncated.h5"
    data = path.read_bytes()
    truncated.write_bytes(data[: len(data) // 2])
    assert_error(run("info", truncated), 1, str(truncated))
    assert_error(run("eval", truncated), 1, str(truncated))


def test_out_in_missing_directory_fails_before_training(run, tmp_path):
    out = tmp_path / "no" / "such" / "dir" / "net.h5"
    # A million iterations would take minutes: failing fast shows the check comes first.
    result = run("train", *TINY, "--n-iterations", "1000000", "--out", out, timeout=20)
    assert_error(result, 2, str(out.parent), "does not exist")
    assert list(tmp_path.iterdir()) == []


def test_diverging_run_saves_and_fails(run, tmp_path):
    out = tmp_path / "diverged.h5"
    result = run("train", *TINY, "--cell", "vanilla", "--activation", "relu",
                 "--learning-rate", "1e6", "--gradient-clip-norm", "0", "--out", out, "--quiet")
    assert_error(result, 1, "diverged", "--learning-rate")
    assert out.is_file()  # still saved, for inspection
    info = info_json(run, out)
    assert info["outcome"]["termination"] == "diverged"
    assert info["outcome"]["n_iterations_done"] < 30
    with h5py.File(out, "r") as f:
        assert f["training"].attrs["termination"] == "diverged"


# Range checks of flags read as a person writes them, in every command that has them.
RANGE_ERRORS = [
    (["compare", ".", "--metric", "svcca", "--svcca.k", "0"], "--svcca.k: must be >= 1, got 0"),
    (["compare", ".", "--metric", "svcca", "--svcca.variance-fraction", "1.5"],
     "--svcca.variance-fraction: must be in [0, 1] (0 = use k), got 1.5"),
    (["compare", ".", "--metric", "shape", "--shape.alpha", "-0.5"],
     "--shape.alpha: must be in [0, 1] (1 = Procrustes, 0 = full whitening), got -0.5"),
    (["compare", ".", "--metric", "svcca", "--n-threads", "-1"], "--n-threads: must be >= 0, got -1"),
    (["sweep", "x.toml", "--n-threads", "-1"], "--n-threads: must be >= 0, got -1"),
    (["dynamics", ".", "--n-threads", "-2"], "--n-threads: must be >= 0, got -2"),
    (["embed", ".", "--metric", "svcca", "--k-neighbors", "0"],
     "--k-neighbors: must be >= 1, got 0"),
    (["eval", "x.h5", "--n-eval-batch", "0"], "--n-eval-batch: must be >= 1, got 0"),
    (["reproduce", "--out", "x", "--n-threads", "-3"], "--n-threads: must be >= 0, got -3"),
    (["train", *TINY, "--out", "x.h5", "--checkpoint-every", "-1"],
     "--checkpoint-every: must be >= 0, got -1"),
    (["compare", ".", "--metric", "svcca", "--svcca.k", "two"],
     "--svcca.k: must be an integer >= 1, got 'two'"),
]


@pytest.mark.parametrize("args, message", RANGE_ERRORS,
                         ids=[" ".join(a[:1] + a[-2:]) for a, _ in RANGE_ERRORS])
def test_range_errors_read_as_a_person_writes_them(run, tmp_path, args, message):
    result = run(*args, cwd=tmp_path)
    assert_error(result, 2, message)
    assert "0.000000" not in result.stderr and "1797693" not in result.stderr


def test_one_thread_is_singular(run, tmp_path):
    config = tmp_path / "one.toml"
    config.write_text('[task]\nname = "flip_flop"\nn_time = 10\n[grid]\ncell = "gru"\n'
                      "n_hidden = 4\nn_iterations = 5\nn_batch = 4\n[evaluation]\n"
                      "n_eval_batch = 4\n")
    result = run("sweep", config, "--out", tmp_path / "out", "-j", 1)
    assert result.returncode == 0, result.stderr
    assert "1 thread," in result.stderr and "1 threads" not in result.stderr
    result = run("sweep", config, "--out", tmp_path / "out2", "-j", 2)
    assert "2 threads," in result.stderr
