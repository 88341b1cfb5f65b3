"""A population that was tampered with after its sweep: every later stage notices.

One small pipeline (sweep, dynamics, compare, embed) is run once; each test copies it, replaces,
duplicates or moves a network file or edits the manifest, and runs dynamics, compare and embed
again. Each must stop with exit status 1 and a message naming the problem, never analyse the
tampered population or call it up to date.
"""

import csv
import io
import shutil

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

QUICK = ["--n-initial-states", "16", "--max-iters", "100", "--transition-steps", "100",
         "--n-trials", "4", "--frequency-steps", "100", "--threads", "1"]


def stages(run, directory):
    """Runs dynamics, compare and embed on `directory`: {stage: CompletedProcess}."""
    return {
        "dynamics": run("dynamics", directory, *QUICK, timeout=300),
        "compare": run("compare", directory, "--metric", "svcca", "--k", 2, "--trials", 8,
                       "-j", 1),
        "embed": run("embed", directory, "--metric", "svcca", "--permutations", 9, "-j", 1),
    }


@pytest.fixture(scope="module")
def pipeline(run, tmp_path_factory):
    root = tmp_path_factory.mktemp("integrity")
    (root / "sweep.toml").write_text(SWEEP)
    out = root / "pipeline"
    result = run("sweep", root / "sweep.toml", "--out", out, "--threads", 1, "--quiet",
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
    target = tmp_path / "copy"
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
