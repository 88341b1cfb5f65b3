"""A population that was tampered with after its sweep: every later stage notices.

One small pipeline (sweep, dynamics, compare, embed) is run once; each test copies it, replaces,
duplicates or moves a network file or edits the manifest, and runs dynamics, compare and embed
again. Each must stop with exit status 1 and a message naming the problem, never analyse the
tampered population or call it up to date. The report refuses what was derived from it.
"""

import csv
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys

import pytest

ERROR = "rnnatlas: error: "

SWEEP = """\
[task]
name = "flip_flop"
n_time = 10

[grid]
cell = ["vanilla", "gru"]
activation = ["tanh", "relu"]
n_hidden = 6
n_iterations = 40
n_batch = 8

[evaluation]
n_eval_batch = 8

[keep]
max_normalized_mse = 1e9
"""

QUICK = ["--n-initial-states", "16", "--fixed-points.max-iters", "100",
         "--transitions.max-steps", "100", "--n-trials", "4", "--frequency-measure-steps", "100",
         "--n-threads", "1"]


def stages(run, directory):
    """Runs dynamics, compare and embed on `directory`: {stage: CompletedProcess}."""
    return {
        "dynamics": run("dynamics", directory, *QUICK, timeout=300),
        "compare": run("compare", directory, "--metric", "svcca", "--svcca.k", 2,
                       "--activity.n-trials", 8, "-j", 1),
        "embed": run("embed", directory, "--metric", "svcca", "--n-permutations", 9, "-j", 1),
    }


def python_package(cli_path):
    """The build tree's Python package, or None in a build without it (the sanitizer builds)."""
    package = cli_path.resolve().parents[2] / "python"
    return package if any((package / "rnnatlas").glob("_core*.so")) else None


def report(cli_path, directory):
    """`python3 -m rnnatlas.report` on the study holding population `directory` (named after its
    task): (CompletedProcess, the task's entry of results.json). Skips the test in a build without
    the Python module."""
    package = python_package(cli_path)
    if package is None:
        pytest.skip("this build has no Python module (RNNATLAS_BUILD_PYTHON=OFF)")
    env = dict(os.environ, PYTHONPATH=str(package))
    result = subprocess.run(
        [sys.executable, "-m", "rnnatlas.report", str(directory.parent), "--tasks",
         directory.name, "--formats", "png"],
        capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr
    results = json.loads((directory.parent / "report/results.json").read_text())
    return result, results["tasks"][directory.name]


@pytest.fixture(scope="module")
def pipeline(run, tmp_path_factory):
    root = tmp_path_factory.mktemp("integrity")
    (root / "sweep.toml").write_text(SWEEP)
    out = root / "study" / "flip_flop"
    result = run("sweep", root / "sweep.toml", "--out", out, "--n-threads", 1, "--quiet",
                 timeout=300)
    assert result.returncode == 0, result.stderr
    for name, result in stages(run, out).items():
        assert result.returncode == 0, (name, result.stderr)
    return out


def read_rows(directory):
    with open(directory / "manifest.csv", newline="") as f:
        return list(csv.DictReader(f))


def write_rows(directory, rows):
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (directory / "manifest.csv").write_text(text.getvalue())


@pytest.fixture
def copy(pipeline, tmp_path):
    target = tmp_path / "copy" / "flip_flop"
    shutil.copytree(pipeline, target)
    return target


def test_an_untouched_population_is_up_to_date(run, copy):
    results = stages(run, copy)
    for result in results.values():
        assert result.returncode == 0, result.stderr
    assert "(4 already done)" in results["dynamics"].stdout
    assert "up to date" in results["compare"].stdout
    assert "up to date" in results["embed"].stdout


def replace_file(directory):
    rows = read_rows(directory)
    shutil.copyfile(directory / rows[0]["file"], directory / rows[1]["file"])
    return f"is not the one the sweep recorded for network '{rows[1]['id']}'"


def duplicate_row(directory):
    rows = read_rows(directory)
    write_rows(directory, rows + [rows[2]])
    return f"id `{rows[2]['id']}` is also on line 4"


def two_rows_one_file(directory):
    rows = read_rows(directory)
    rows[3]["file"] = rows[0]["file"]
    write_rows(directory, rows)
    return f"file `{rows[0]['file']}` is also on line 2"


def move_outside(directory):
    rows = read_rows(directory)
    outside = directory.parent / "moved.h5"
    shutil.move(directory / rows[1]["file"], outside)
    rows[1]["file"] = "../moved.h5"
    write_rows(directory, rows)
    return "lies outside the sweep directory"


def swap_files_in_manifest(directory):
    rows = read_rows(directory)
    rows[0]["file"], rows[1]["file"] = rows[1]["file"], rows[0]["file"]
    write_rows(directory, rows)
    return f"is not the one the sweep recorded for network '{rows[0]['id']}'"


def edit_hash(directory):
    rows = read_rows(directory)
    rows[2]["file_hash"] = "0123456789abcdef"
    write_rows(directory, rows)
    return f"is not the one the sweep recorded for network '{rows[2]['id']}'"


@pytest.mark.parametrize("tamper", [replace_file, duplicate_row, two_rows_one_file, move_outside,
                                    swap_files_in_manifest, edit_hash])
def test_every_later_stage_detects_tampering(run, copy, tamper):
    before = {p: p.stat().st_mtime_ns for p in (copy / "similarity").iterdir()}
    message = tamper(copy)
    for name, result in stages(run, copy).items():
        assert result.returncode == 1, (name, result.returncode, result.stdout, result.stderr)
        assert ERROR in result.stderr and message in result.stderr, (name, message, result.stderr)
        assert "internal error" not in result.stderr
    # Nothing derived was rewritten from the tampered population.
    assert {p: p.stat().st_mtime_ns for p in (copy / "similarity").iterdir()} == before


@pytest.mark.parametrize("tamper", [replace_file, duplicate_row, move_outside, edit_hash])
def test_the_report_uses_nothing_derived_from_a_tampered_population(cli_path, copy, tamper):
    _, untouched = report(cli_path, copy)
    assert untouched["warnings"] == []
    assert untouched["stages"]["dynamics"] == "4 files"
    message = tamper(copy)
    _, task = report(cli_path, copy)
    assert task["stages"]["sweep"] == "refused"
    for stage in ("dynamics", "similarity", "embedding"):
        assert task["stages"][stage] == "not used (population refused)"
    assert task["fixed_points"]["status"] == "not run"
    assert any(message in w for w in task["warnings"]), task["warnings"]


def test_the_report_skips_derived_files_whose_inputs_changed(run, cli_path, copy):
    """A network retrained by the sweep after the other stages ran: its dynamics file and the
    distance and embedding files are out of date, and the report says so instead of using them."""
    rows = read_rows(copy)
    (copy / rows[1]["file"]).unlink()
    resumed = run("sweep", copy / "sweep.toml", "--out", copy, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    _, task = report(cli_path, copy)
    assert task["stages"]["dynamics"] == "3 files"
    assert task["stages"]["similarity"] == "not run" and task["stages"]["embedding"] == "not run"
    text = "\n".join(task["warnings"])
    assert f"made from another version of network '{rows[1]['id']}'" in text
    assert "similarity/svcca.h5: skipped, out of date" in text
    assert "similarity/svcca.embedding.h5: skipped, out of date" in text


def test_a_running_sweep_is_analysed_as_a_snapshot(run, cli_path, copy):
    """While a sweep holds the directory's lock, every reader says it sees a snapshot."""
    with open(copy / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        results = stages(run, copy)
        summary = run("summary", copy)
        task = report(cli_path, copy)[1] if python_package(cli_path) else None
    for name, result in [*results.items(), ("summary", summary)]:
        if name == "embed":
            continue  # reads only the distance file
        assert result.returncode == 0, (name, result.stderr)
        assert "warning: a sweep is still running on" in result.stderr, (name, result.stderr)
        assert "snapshot" in result.stderr
    if task is not None:
        assert any(w.startswith("A sweep is still running") for w in task["warnings"])
    # Once it has finished, nothing to say.
    again = run("dynamics", copy, *QUICK, timeout=300)
    assert "warning" not in again.stderr, again.stderr


def test_an_old_manifest_is_refused_until_the_sweep_adds_its_hashes(run, copy):
    rows = read_rows(copy)
    for row in rows:
        del row["file_hash"]
    write_rows(copy, rows)
    for name, result in stages(run, copy).items():
        assert result.returncode == 1, (name, result.stderr)
        assert "records no content hash" in result.stderr, (name, result.stderr)
        assert f"rnnatlas sweep {copy}/sweep.toml --out {copy}" in result.stderr
    resumed = run("sweep", copy / "sweep.toml", "--out", copy, "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    assert all(row["file_hash"] for row in read_rows(copy))
    results = stages(run, copy)
    assert "(4 already done)" in results["dynamics"].stdout, results["dynamics"].stdout
    assert all(r.returncode == 0 for r in results.values())
