"""rnnatlas.load_population on a real sweep directory written by the `rnnatlas` CLI."""

import os
import pathlib
import subprocess

import numpy as np
import pytest

import rnnatlas

SWEEP = """\
[task]
name = "flip_flop"
n_time = 10

[grid]
cell = ["vanilla", "gru"]
activation = ["tanh", "relu"]
n_hidden = 4
n_iterations = 20
n_batch = 8
seeds = 1

[evaluation]
n_eval_batch = 8

[keep]
max_normalized_mse = 0.8
"""


def cli_path():
    """The CLI of the same build tree as the imported package (<build>/python/rnnatlas)."""
    env = os.environ.get("RNNATLAS_CLI")
    if env:
        return pathlib.Path(env)
    return pathlib.Path(rnnatlas.__file__).resolve().parents[2] / "apps/rnnatlas/rnnatlas"


@pytest.fixture(scope="module")
def population_dir(tmp_path_factory):
    cli = cli_path()
    if not cli.is_file():
        pytest.skip(f"no rnnatlas CLI at {cli} (set RNNATLAS_CLI)")
    root = tmp_path_factory.mktemp("pop")
    (root / "sweep.toml").write_text(SWEEP)
    subprocess.run([str(cli), "sweep", str(root / "sweep.toml"), "--out", str(root / "out"),
                    "--quiet"], check=True, capture_output=True)
    return root / "out"


def test_records_and_table_match_the_manifest(population_dir):
    pop = rnnatlas.load_population(population_dir)
    assert len(pop) == 4
    assert [r["cell"] for r in pop.records] == ["vanilla", "vanilla", "gru", "gru"]
    assert all(r["outcome"] == "completed" for r in pop.records)
    table = pop.table
    assert table["n_hidden"].dtype == np.int64 and (table["n_hidden"] == 4).all()
    assert table["kept"].dtype == bool
    np.testing.assert_array_equal(table["kept"], table["normalized_mse"] < 0.8)
    assert set(pop.ids(kept_only=True)) == {r["id"] for r in pop.records if r["kept"]}
    assert "4 networks" in repr(pop)


def test_networks_are_loaded_lazily_and_equal_the_files(population_dir):
    pop = rnnatlas.load_population(population_dir)
    record = pop.records[2]
    net = pop.network(record["id"])
    assert pop.network(record["id"]) is net  # cached
    direct = rnnatlas.load_network(population_dir / record["file"])
    np.testing.assert_array_equal(net.parameters(), direct.parameters())
    assert sum(1 for _ in pop.kept_networks()) == int(pop.table["kept"].sum())


def test_errors_name_the_problem(population_dir, tmp_path):
    with pytest.raises(OSError, match="no manifest.csv"):
        rnnatlas.load_population(tmp_path)
    pop = rnnatlas.load_population(population_dir)
    with pytest.raises(KeyError, match="no network 'nope'"):
        pop.network("nope")
    broken = tmp_path / "broken"
    broken.mkdir()
    text = (population_dir / "manifest.csv").read_text().splitlines()
    fields = text[1].split(",")
    fields[text[0].split(",").index("kept")] = "maybe"
    (broken / "manifest.csv").write_text("\n".join([text[0], ",".join(fields)]) + "\n")
    with pytest.raises(OSError, match=r"manifest.csv:2: kept: `maybe` is not 0 or 1"):
        rnnatlas.load_population(broken)


def test_a_population_the_cli_refuses_is_refused(population_dir, tmp_path):
    """The manifest goes through the library's reader: a duplicated row, which the report and this
    class once accepted, is an error naming both lines."""
    text = (population_dir / "manifest.csv").read_text().splitlines()
    copy = tmp_path / "dup"
    copy.mkdir()
    (copy / "manifest.csv").write_text("\n".join(text + [text[2]]) + "\n")
    with pytest.raises(OSError, match=r"manifest.csv:6: id `[^`]+` is also on line 3"):
        rnnatlas.load_population(copy)


def test_a_replaced_network_file_is_refused(population_dir, tmp_path):
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(population_dir, copy)
    pop = rnnatlas.load_population(copy)
    assert pop.snapshot_note == ""  # the sweep finished
    first, second = pop.records[0], pop.records[1]
    shutil.copyfile(copy / first["file"], copy / second["file"])
    with pytest.raises(OSError, match=f"is not the one the sweep recorded for network "
                                      f"'{second['id']}'"):
        pop.network(second["id"])
    assert pop.network(first["id"]) is not None
