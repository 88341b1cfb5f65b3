"""A network carries its own record (init seed, task, training options, summary) from train() to
every file it is saved in, and a file states nothing that did not happen."""

import copy
import json
import os
import pathlib
import pickle
import subprocess

import numpy as np
import pytest

import rnnatlas


def cli():
    env = os.environ.get("RNNATLAS_CLI")
    path = (pathlib.Path(env) if env else
            pathlib.Path(rnnatlas.__file__).resolve().parents[2] / "apps/rnnatlas/rnnatlas")
    if not path.is_file():
        pytest.skip(f"no rnnatlas CLI at {path} (set RNNATLAS_CLI)")
    return path


def run_cli(*args):
    return subprocess.run([str(cli()), *map(str, args)], capture_output=True, text=True,
                          timeout=120)


@pytest.fixture(scope="module")
def readme_network(tmp_path_factory):
    """The README's Python example ("Using it"), with fewer iterations."""
    task = rnnatlas.make_task("flip_flop", n_time=50)
    net = rnnatlas.Network("gru", n_input=3, n_hidden=32, n_output=3, seed=1)
    summary = rnnatlas.train(net, task, n_iterations=30, learning_rate=1e-2)
    path = tmp_path_factory.mktemp("readme") / "gru.h5"
    net.save(path)
    return task, net, summary, path


def test_readme_example_file_states_the_training_that_happened(readme_network):
    task, net, summary, path = readme_network
    record = rnnatlas.load_network_record(path)
    assert record.init_seed == 1
    assert record.task_name == "flip_flop"
    assert record.task_params == task.params()
    assert record.train_options.n_iterations == 30
    assert record.train_options.learning_rate == 1e-2
    assert record.summary.termination == "completed"
    assert record.summary.n_iterations_done == 30
    np.testing.assert_array_equal(record.summary.loss_history, summary.loss_history)
    assert record.summary.eval.mse == summary.eval.mse


def test_cli_info_and_eval_accept_the_readme_file(readme_network):
    task, net, summary, path = readme_network
    info = run_cli("info", "--json", path)
    assert info.returncode == 0, info.stderr
    data = json.loads(info.stdout)
    assert data["init_seed"] == 1
    assert data["task"]["name"] == "flip_flop"
    assert data["training"]["n_iterations"] == 30
    assert data["training"]["learning_rate"] == 1e-2
    assert data["outcome"]["termination"] == "completed"
    assert data["outcome"]["n_iterations_done"] == 30
    text = run_cli("info", path).stdout
    assert "30 of 30" in text and "never trained" not in text
    ev = run_cli("eval", path)
    assert ev.returncode == 0, ev.stderr
    values = dict(line.split(maxsplit=1) for line in ev.stdout.splitlines())
    # eval's defaults reproduce the held-out evaluation done at the end of training.
    assert float(values["mse"]) == summary.eval.mse


def test_untrained_network_file_says_untrained_with_its_seed(tmp_path):
    net = rnnatlas.Network("lstm", 2, 4, 1, seed=9)
    assert net.init_seed == 9
    net.save(tmp_path / "n.h5")
    record = rnnatlas.load_network_record(tmp_path / "n.h5")
    assert record.init_seed == 9
    assert record.task_name == ""
    assert record.summary.termination == "not_run"
    # No training options: defaults that were never used are not stated, in the file or by info.
    import h5py

    with h5py.File(tmp_path / "n.h5", "r") as f:
        assert set(f["training"].attrs) == {"termination", "message", "n_iterations_done",
                                            "seconds"}
    text = run_cli("info", tmp_path / "n.h5").stdout
    assert "training              none: the network was never trained" in text
    assert "learning_rate" not in text and "iterations done" not in text
    info = json.loads(run_cli("info", "--json", tmp_path / "n.h5").stdout)
    assert info["training"] is None


def test_load_then_save_keeps_the_record(readme_network, tmp_path):
    _, net, summary, path = readme_network
    loaded = rnnatlas.load_network(path)
    assert loaded.init_seed == 1
    loaded.save(tmp_path / "again.h5")
    again = rnnatlas.load_network_record(tmp_path / "again.h5")
    assert again.summary.n_iterations_done == 30
    assert again.train_options.learning_rate == 1e-2
    np.testing.assert_array_equal(again.network.parameters(), net.parameters())


def test_copies_and_pickles_keep_the_record(readme_network):
    _, net, _, _ = readme_network
    for clone in [copy.copy(net), copy.deepcopy(net), pickle.loads(pickle.dumps(net))]:
        record = clone.record()
        assert record.init_seed == 1
        assert record.summary.n_iterations_done == 30
        assert record.train_options.learning_rate == 1e-2


def test_changed_parameters_drop_the_training_record(readme_network):
    _, net, _, _ = readme_network
    changed = copy.copy(net)
    changed.set_parameters(changed.parameters() * 0.5)
    record = changed.record()
    assert record.summary.termination == "not_run"
    assert record.task_name == ""
    assert "changed after training" in record.summary.message


def test_training_twice_says_so():
    task = rnnatlas.make_task("flip_flop", n_bits=1, n_time=20)
    net = rnnatlas.Network("vanilla", 1, 4, 1, seed=2)
    rnnatlas.train(net, task, n_iterations=5, n_batch=8)
    rnnatlas.train(net, task, n_iterations=7, n_batch=8)
    record = net.record()
    assert record.train_options.n_iterations == 7
    assert "already trained for 5 iterations" in record.summary.message


def test_save_network_summary_without_options_uses_the_networks_own(tmp_path):
    task = rnnatlas.make_task("flip_flop", n_bits=1, n_time=20)
    net = rnnatlas.Network("gru", 1, 4, 1, seed=3)
    summary = rnnatlas.train(net, task, n_iterations=12, n_batch=8, learning_rate=5e-3)
    rnnatlas.save_network(tmp_path / "a.h5", net, summary=summary)
    record = rnnatlas.load_network_record(tmp_path / "a.h5")
    assert (record.train_options.n_iterations, record.train_options.learning_rate) == (12, 5e-3)
    assert record.init_seed == 3
    assert record.task_name == "flip_flop"


def test_save_network_refuses_a_record_that_did_not_happen(tmp_path):
    task = rnnatlas.make_task("flip_flop", n_bits=1, n_time=20)
    trained = rnnatlas.Network("gru", 1, 4, 1, seed=3)
    summary = rnnatlas.train(trained, task, n_iterations=12, n_batch=8)
    fresh = rnnatlas.Network("gru", 1, 4, 1, seed=3)
    with pytest.raises(ValueError, match="pass options="):
        rnnatlas.save_network(tmp_path / "b.h5", fresh, task=task, summary=summary)
    with pytest.raises(ValueError, match="pass task="):
        rnnatlas.save_network(tmp_path / "b.h5", fresh, summary=summary,
                              options=rnnatlas.train_options(n_iterations=12))
    with pytest.raises(ValueError, match="never trained"):
        rnnatlas.save_network(tmp_path / "b.h5", fresh, options=rnnatlas.TrainOptions())
    with pytest.raises(ValueError, match="12 iterations but the options ask for 5"):
        rnnatlas.save_network(tmp_path / "b.h5", fresh, task=task, summary=summary,
                              options=rnnatlas.train_options(n_iterations=5))
    assert not (tmp_path / "b.h5").exists()
    # Given in full, it is written as given.
    rnnatlas.save_network(tmp_path / "b.h5", fresh, task=task, summary=summary,
                          options=rnnatlas.train_options(n_iterations=12), init_seed=4)
    record = rnnatlas.load_network_record(tmp_path / "b.h5")
    assert (record.init_seed, record.summary.n_iterations_done) == (4, 12)
