"""End-to-end tests of `rnnatlas reproduce`, the study driver (docs/pipeline.md).

A tiny study (one task, a few networks of a few units) runs every stage: sweep, summary,
dynamics, compare and embed for two metrics, and the report. The tests check the files of each
stage, that a rerun resumes (no stage redoes finished work), and that bad scales and configs fail
with messages naming the problem.
"""

import json
import os
import pathlib
import re
import subprocess
import sys
import time

import h5py
import pytest

from test_sweep import assert_same_weights, weights

ERROR = "rnnatlas: error: "

TINY_SWEEP = """\
seed = 0

[task]
name = "flip_flop"
n_time = 20

[grid]
cell = ["vanilla", "gru"]
activation = "tanh"
n_hidden = 6
n_iterations = 150
n_batch = 16
learning_rate = 2e-2
seeds = 2

[evaluation]
n_eval_batch = 32

[keep]
max_normalized_mse = 10.0
"""

# A [dynamics] value that its flag accepts and the stage refuses: lr_min must be <= lr_initial, a
# rule between two options, checked when the stage runs (after training).
STOP_AT_DYNAMICS = "n_initial_states = 32\nfixed_points.lr_min = 0.5"

TINY_STUDY = """\
tasks = ["flip_flop"]

[dynamics]
n_initial_states = 32

[compare.svcca]
k = 4

[compare.topology]

[embed]
n_permutations = 19
k_neighbors = 1
"""


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture()
def tiny_experiments(tmp_path):
    experiments = tmp_path / "experiments"
    write(experiments / "flip_flop_tiny.toml", TINY_SWEEP)
    write(experiments / "study_tiny.toml", TINY_STUDY)
    return experiments


def test_unknown_scale_names_the_built_in_ones(run, tmp_path):
    result = run("reproduce", "--scale", "huge", "--out", tmp_path / "out")
    assert result.returncode == 2
    assert ERROR in result.stderr
    assert "study_huge.toml" in result.stderr
    for scale in ("demo", "small", "paper"):
        assert scale in result.stderr
    assert not (tmp_path / "out").exists()


def test_built_in_scales_exist_for_every_task(run, tmp_path):
    # --tasks with a task the scale has no population for is refused before any work.
    result = run("reproduce", "--scale", "demo", "--tasks", "no_such_task", "--out", tmp_path / "o")
    assert result.returncode == 2
    assert "no_such_task_demo.toml" in result.stderr


def test_bad_study_config_names_key_and_line(run, tiny_experiments, tmp_path):
    write(tiny_experiments / "study_tiny.toml", "whatever = 3\n" + TINY_STUDY)
    result = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments,
                 "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "study_tiny.toml:" in result.stderr
    assert "unknown key 'whatever'" in result.stderr


@pytest.mark.parametrize("edit, needle", [
    (("n_initial_states = 32", "n_intial_states = 32"),
     "study_tiny.toml:4: [dynamics] n_intial_states: The following arguments were not expected"),
    (("k = 4", "kk = 4"), "study_tiny.toml:7: [compare.svcca] kk:"),
    (("k = 4", "k = 0"), "study_tiny.toml:7: [compare.svcca] k: --svcca.k: must be >= 1, got 0"),
    # A key of another metric's options.
    (("k = 4", "k = 4\nalpha = 0.5"),
     "study_tiny.toml:8: [compare.svcca] alpha: --alpha applies to --metric shape, not to svcca"),
    # A [compare] key applies to every metric of the study: one that only svcca takes fails for
    # topology, before any work.
    (("[compare.svcca]", "[compare]\nk = 4\n\n[compare.svcca]"),
     "study_tiny.toml:7: [compare] k: --k applies to --metric svcca, not to topology"),
    # The activity's options in a study that compares only by topology: nothing would use them.
    (("[compare.svcca]\nk = 4\n", "[compare]\nactivity.n_trials = 16\n"),
     "study_tiny.toml:7: [compare] activity: the activity's options apply to cca, svcca, pwcca, "
     "cka, shape, dsa, and this study compares by topology only"),
    (("k_neighbors = 1", "k_neighbors = 1\n[embed.flip_flp]\nseed = 1"),
     "[embed] flip_flp.seed: The following arguments were not expected"),
    # Nested options are dotted keys (or subtables) named by their path; a value outside the
    # rule is refused by the flag's parser, so before any network trains.
    (("n_initial_states = 32", "n_initial_states = 32\nfixed_points.max_iter = 50"),
     "[dynamics] fixed_points.max_iter: The following arguments were not expected"),
    (("n_initial_states = 32", "n_initial_states = -5"),
     "[dynamics] n_initial_states: --n-initial-states: must be >= 1, got -5"),
])
def test_a_bad_stage_key_fails_before_any_work(run, tiny_experiments, tmp_path, edit, needle):
    """Every key of every stage is checked with that stage's parser before the first network
    trains: a typo is exit 2 with file:line and the key, and nothing is written."""
    write(tiny_experiments / "study_tiny.toml", TINY_STUDY.replace(*edit))
    result = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments,
                 "--out", tmp_path / "out", "--no-report", timeout=60)
    assert result.returncode == 2, result.stderr
    assert ERROR in result.stderr and needle in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()
    checked = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments, "--check")
    assert checked.returncode == 2 and needle in checked.stderr


def test_a_value_its_stage_refuses_stops_at_that_stage_with_usage_status(run, tiny_experiments,
                                                                         tmp_path):
    """A value the flag's parser accepts but the stage refuses (a rule between two options is
    checked when the stage runs) stops the study at that stage; the stages before it are kept."""
    write(tiny_experiments / "study_tiny.toml",
          TINY_STUDY.replace("n_initial_states = 32", STOP_AT_DYNAMICS))
    result = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments,
                 "--out", tmp_path / "out", "--no-report", timeout=300)
    assert result.returncode == 2
    assert "failed" in result.stderr and "dynamics" in result.stderr
    assert "--fixed-points.lr-min = 0.5: must be in (0, lr_initial]" in result.stderr
    assert (tmp_path / "out/flip_flop/manifest.csv").is_file()


def test_a_bad_population_config_fails_before_any_work(run, tiny_experiments, tmp_path):
    """The population config of a later task is parsed before the first task trains."""
    write(tiny_experiments / "study_tiny.toml",
          TINY_STUDY.replace('tasks = ["flip_flop"]', 'tasks = ["flip_flop", "sine_wave"]'))
    write(tiny_experiments / "sine_wave_tiny.toml",
          TINY_SWEEP.replace('name = "flip_flop"', 'name = "sine_wave"')
          .replace("n_batch = 16", "n_bacth = 16"))
    result = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments,
                 "--out", tmp_path / "out", "--no-report", timeout=60)
    assert result.returncode == 2, result.stderr
    assert "sine_wave_tiny.toml:" in result.stderr and "n_bacth" in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("scale", ["demo", "small", "paper"])
def test_the_shipped_study_configs_pass_the_check(run, scale):
    result = run("reproduce", "--scale", scale, "--check")
    assert result.returncode == 0, result.stderr
    assert "every key and flag checked, nothing run" in result.stdout


def test_tiny_study_end_to_end_then_resume(run, tiny_experiments, tmp_path):
    out = tmp_path / "out"
    args = ("reproduce", "--scale", "tiny", "--experiments", tiny_experiments, "--out", out,
            "--n-threads", "2")
    start = time.monotonic()
    first = run(*args, timeout=600)
    first_seconds = time.monotonic() - start
    assert first.returncode == 0, first.stderr[-4000:]
    task = out / "flip_flop"
    networks = sorted((task / "networks").glob("*.h5"))
    assert len(networks) == 4
    dynamics = sorted((task / "dynamics").glob("*.h5"))
    assert [p.name for p in dynamics] == [p.name for p in networks]  # every network kept
    for metric in ("svcca", "topology"):
        with h5py.File(task / "similarity" / f"{metric}.h5", "r") as f:
            assert f["distances"].shape == (4, 4)
        with h5py.File(task / "similarity" / f"{metric}.embedding.h5", "r") as f:
            assert f["classical"].shape == (4, 2)
    report = out / "report"
    assert (report / "index.html").is_file()
    results = json.loads((report / "results.json").read_text())
    assert "flip_flop" in json.dumps(results)
    assert str(report / "index.html") in first.stdout

    # A rerun finds every stage done: same files, untouched.
    mtimes = {p: p.stat().st_mtime_ns for p in networks + dynamics}
    second = run(*args, timeout=600)
    assert second.returncode == 0, second.stderr[-4000:]
    assert {p: p.stat().st_mtime_ns for p in mtimes} == mtimes


def test_common_compare_keys_go_to_every_metric_that_uses_them(run, tiny_experiments, tmp_path):
    """The activity's options in [compare] go to every activity metric and not to topology, which
    reads the dynamics files (and refuses them): the check and the run both pass."""
    common = "[compare]\nactivity.n_trials = 16\n\n[compare.svcca]"
    write(tiny_experiments / "study_tiny.toml", TINY_STUDY.replace("[compare.svcca]", common))
    checked = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments, "--check")
    assert checked.returncode == 0, checked.stderr
    result = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments, "--out",
                 tmp_path / "out", "--no-report", timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    compares = {metric: line for line in result.stderr.splitlines() if " compare " in line
                for metric in ("svcca", "topology") if f"--metric {metric}" in line}
    assert set(compares) == {"svcca", "topology"}, result.stderr[-4000:]
    assert "--activity.n-trials 16" in compares["svcca"]
    assert "--activity" not in compares["topology"]
    with h5py.File(tmp_path / "out/flip_flop/similarity/svcca.h5", "r") as f:
        assert f["params"].attrs["n_trials"] == 16


def test_seed_offsets_every_seed_of_the_study(run, tiny_experiments, tmp_path):
    out = tmp_path / "out"
    result = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments, "--out", out,
                 "--seed", "5", "--no-report", timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    # The population's config: its seed offset by 5, everything else as written.
    config = (out / "configs/flip_flop_tiny.toml").read_text()
    assert config.startswith("# flip_flop_tiny.toml with every seed offset by 5")
    assert "seed = 5" in config.splitlines() and "n_hidden = 6" in config
    # The networks are those of the config with seed = 5, trained on its own.
    shifted = write(tmp_path / "shifted.toml", TINY_SWEEP.replace("seed = 0", "seed = 5", 1))
    alone = run("sweep", shifted, "--out", tmp_path / "alone", "--quiet", timeout=300)
    assert alone.returncode == 0, alone.stderr
    assert_same_weights(weights(out / "flip_flop"), weights(tmp_path / "alone"))
    unshifted = run("sweep", tiny_experiments / "flip_flop_tiny.toml", "--out",
                    tmp_path / "unshifted", "--quiet", timeout=300)
    assert unshifted.returncode == 0, unshifted.stderr
    shifted_weights, unshifted_weights = weights(out / "flip_flop"), weights(tmp_path / "unshifted")
    assert not any((shifted_weights[n][p] == unshifted_weights[n][p]).all()
                   for n in shifted_weights for p in shifted_weights[n])
    # The dynamics and embedding stages got their default seeds plus 5.
    assert "--seed 20190724" in result.stderr  # AnalysisOptions::seed 20190719 + 5
    dynamics = sorted((out / "flip_flop/dynamics").glob("*.h5"))
    with h5py.File(dynamics[0], "r") as f:
        assert f["options"].attrs["seed"] == 20190719 + 5
    embed_lines = [line for line in result.stderr.splitlines() if " embed " in line]
    assert embed_lines and all(line.endswith("--seed 5") for line in embed_lines), embed_lines


def test_seed_offset_adds_to_a_seed_the_study_sets(run, tiny_experiments, tmp_path):
    # Stopped at the dynamics stage (a usage error there), after its command line is printed.
    write(tiny_experiments / "study_tiny.toml",
          TINY_STUDY.replace("n_initial_states = 32", STOP_AT_DYNAMICS + "\nseed = 100"))
    result = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments, "--out",
                 tmp_path / "out", "--seed", "2", "--no-report", timeout=300)
    assert result.returncode == 2, result.stderr
    assert "--seed 102" in result.stderr and "--seed 100" not in result.stderr


def stopping_after_training(experiments):
    """The tiny study made to stop at the dynamics stage (a usage error there), after training."""
    write(experiments / "study_tiny.toml",
          TINY_STUDY.replace("n_initial_states = 32", STOP_AT_DYNAMICS))
    return experiments


def test_launcher_prefixes_the_training_stage_only(run, tiny_experiments, tmp_path):
    # A stand-in launcher that records its arguments and runs them.
    log = tmp_path / "launcher.log"
    launcher = write(tmp_path / "launcher.py", f"""\
import os, sys
with open({str(log)!r}, "a") as f:
    f.write(" ".join(sys.argv[1:]) + "\\n")
os.execv(sys.argv[2], sys.argv[2:])
""")
    result = run("reproduce", "--scale", "tiny", "--experiments",
                 stopping_after_training(tiny_experiments), "--out", tmp_path / "out",
                 "--no-report", "--launcher", f"{sys.executable} {launcher} --ranks-flag",
                 timeout=300)
    assert result.returncode == 2, result.stderr  # stopped at dynamics, as arranged
    assert "over MPI ranks" in result.stderr
    calls = log.read_text().splitlines()
    assert len(calls) == 1, calls  # the sweep only; summary and dynamics ran directly
    words = calls[0].split()
    assert words[0] == "--ranks-flag" and words[2] == "sweep", words
    assert "--n-threads" not in words  # one thread per rank, the sweep's default under MPI
    assert (tmp_path / "out/flip_flop/manifest.csv").is_file()


def test_started_by_an_mpi_launcher_is_refused(cli_path, tiny_experiments, tmp_path):
    env = dict(os.environ, OMPI_COMM_WORLD_SIZE="2")
    result = subprocess.run([str(cli_path), "reproduce", "--scale", "tiny", "--experiments",
                             str(tiny_experiments), "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 2
    assert "--launcher 'mpirun -n K'" in result.stderr
    assert not (tmp_path / "out").exists()


def test_training_under_mpirun_gives_the_threaded_networks(run, mpi_launcher, cli_path,
                                                          tiny_experiments, tmp_path):
    words, env = mpi_launcher
    experiments = stopping_after_training(tiny_experiments)
    mpi = subprocess.run([str(cli_path), "reproduce", "--scale", "tiny", "--experiments",
                          str(experiments), "--out", str(tmp_path / "mpi"), "--no-report",
                          "--launcher", " ".join([*words, "-n", "2"])],
                         capture_output=True, text=True, timeout=300, env=env)
    assert mpi.returncode == 2, mpi.stderr  # stopped at dynamics, as arranged
    assert "2 MPI ranks" in mpi.stderr
    threaded = run("sweep", experiments / "flip_flop_tiny.toml", "--out", tmp_path / "threaded",
                   "--n-threads", "2", "--quiet", timeout=300)
    assert threaded.returncode == 0, threaded.stderr
    assert_same_weights(weights(tmp_path / "mpi/flip_flop"), weights(tmp_path / "threaded"))


def test_every_dynamics_flag_is_a_key_of_the_dynamics_table(run, tiny_experiments):
    """Each flag of `rnnatlas dynamics` that --help lists with a default (the option fields, nested
    ones by their path) is accepted as the key of the same name in a study's [dynamics] table: as
    a dotted key, and nested in a subtable."""
    help_text = run("dynamics", "--help").stdout
    # "  --fixed-points.newton.max-iters INT:>= 0 (0 disables Newton)=20": the default ends the
    # line.
    flags = re.findall(r"^  --([a-z0-9.-]+) (?:INT|FLOAT|UINT).*=(\S+)$", help_text, re.M)
    keys = {flag.replace("-", "_"): default for flag, default in flags}
    assert "fixed_points.newton.max_iters" in keys and "n_initial_states" in keys
    assert "transitions.limit_cycles.shooting.newton.lm_damping" in keys
    dotted = "".join(f"{key} = {value}\n" for key, value in keys.items())
    study = TINY_STUDY.replace("n_initial_states = 32\n", dotted)
    write(tiny_experiments / "study_tiny.toml", study)
    checked = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments, "--check")
    assert checked.returncode == 0, checked.stderr
    subtable = TINY_STUDY.replace(
        "[compare.svcca]", "[dynamics.fixed_points.newton]\nmax_iters = 3\n\n[compare.svcca]")
    write(tiny_experiments / "study_tiny.toml", subtable)
    checked = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments, "--check")
    assert checked.returncode == 0, checked.stderr


def test_every_compare_flag_is_a_key_of_its_metric_table(run, tiny_experiments):
    """Each option flag of `rnnatlas compare` (--<options>.<field>, the paths of CompareOptions) is
    accepted as a key: a metric's own options as plain keys of its [compare.<metric>] table
    ([compare.svcca] k is --svcca.k; pwcca uses cca's), the activity's as dotted keys of [compare].
    None of them reaches a deprecated spelling."""
    help_text = run("compare", "--help").stdout
    # "  --svcca.k INT:>= 1=10", "  --activity.n-trials INT:>= 1=32 held-out trials ...": the
    # default follows the first '=' that is not followed by a space.
    flags = re.findall(
        r"^  --([a-z]+)\.([a-z0-9.-]+) (?:INT|FLOAT|UINT|TEXT)[^\n]*?=(\S+)(?:\s|$)", help_text,
        re.M)
    tables = {}
    for options, field, default in flags:
        tables.setdefault(options, {})[field.replace("-", "_")] = default
    assert set(tables) == {"cca", "svcca", "cka", "shape", "dsa", "activity"}, tables
    assert "alignment.n_random_starts" in tables["dsa"] and "n_trials" in tables["activity"]
    assert "n_steps" not in tables["dsa"]  # set from the activity, not a flag

    def value(text):
        if text is True:
            return "true"
        return text if re.fullmatch(r"[-+0-9.e]+", text) else f'"{text}"'

    study = 'tasks = ["flip_flop"]\n\n[compare]\n'
    study += "".join(f"activity.{k} = {value(v)}\n" for k, v in tables.pop("activity").items())
    tables["pwcca"] = tables["cca"]
    tables["cka"]["debiased"] = True  # a flag without a value
    for metric, keys in sorted(tables.items()):
        study += f"\n[compare.{metric}]\n"
        study += "".join(f"{k} = {value(v)}\n" for k, v in keys.items())
    write(tiny_experiments / "study_tiny.toml", study)
    checked = run("reproduce", "--scale", "tiny", "--experiments", tiny_experiments, "--check")
    assert checked.returncode == 0, checked.stderr
    assert "deprecated" not in checked.stderr, checked.stderr
