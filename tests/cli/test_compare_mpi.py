"""`rnnatlas compare` under `mpirun -n K`: the pairs spread over ranks (docs/similarity.md,
"Across machines").

Checks: 2 ranks and 1 rank write the same distance file as the threaded run, bit for bit (ids,
labels, matrix); rerunning under mpirun resumes; a usage error and a missing network file end
every rank with one message from rank 0 and the same exit status, without hanging. Skipped when
rnnatlas was built without MPI or Open MPI's mpirun is missing.
"""

import subprocess

import h5py
import numpy as np
import pytest

from test_compare import SWEEP, kept_ids

ERROR = "rnnatlas: error: "


@pytest.fixture(scope="module")
def mpirun(mpi_launcher, cli_path):
    """mpirun(n_ranks, *rnnatlas_args, timeout=120) -> CompletedProcess."""
    words, env = mpi_launcher

    def mpirun_cli(n_ranks, *args, timeout=120):
        return subprocess.run([*words, "-n", str(n_ranks), str(cli_path), *map(str, args)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              timeout=timeout, env=env)

    return mpirun_cli


@pytest.fixture(scope="module")
def sweep(run, tmp_path_factory):
    root = tmp_path_factory.mktemp("compare_mpi")
    config = root / "sweep.toml"
    config.write_text(SWEEP)
    out = root / "sweep"
    result = run("sweep", config, "--out", out, "--n-threads", 2, "--quiet", timeout=300)
    assert result.returncode == 0, result.stderr
    assert len(kept_ids(out)) == 8
    return out


def read(path):
    with h5py.File(path, "r") as f:
        return {"ids": list(f["network_ids"][()]), "d": f["distances"][()],
                "params": dict(f["params"].attrs),
                "labels": {k: f["labels"][k][()] for k in f["labels"]}}


def assert_one_error(result, status, *needles):
    """Every rank exits with `status`; the message is printed once (by rank 0); no crash."""
    assert result.returncode == status, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.count(ERROR) == 1, result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    for crash in ("terminate called", "what():", "Aborted", "MPI_ABORT", "Segmentation"):
        assert crash not in result.stderr, result.stderr


METRICS = {
    "svcca": ["--svcca.k", 4],
    "cka": [],
    "shape": ["--shape.alpha", 0.5],  # one pair at a time, not tiles
}


@pytest.mark.parametrize("metric", sorted(METRICS))
def test_ranks_write_the_threaded_file(run, mpirun, sweep, metric):
    flags = [*METRICS[metric], "--activity.n-trials", 8]
    threaded = run("compare", sweep, "--metric", metric, *flags, "-j", 2,
                   "--name", f"{metric}_threads")
    assert threaded.returncode == 0, threaded.stderr
    reference = read(sweep / f"similarity/{metric}_threads.h5")
    for n_ranks, extra in ((2, []), (2, ["--mpi", "-j", 2]), (1, [])):
        name = f"{metric}_mpi{n_ranks}{'_j2' if extra else ''}"
        result = mpirun(n_ranks, "compare", sweep, "--metric", metric, *flags, *extra,
                        "--name", name)
        assert result.returncode == 0, result.stderr
        assert result.stdout.count(f"{metric}: 8 kept networks of 8") == 1, result.stdout
        assert f"compare: {n_ranks} MPI rank" in result.stderr, result.stderr
        got = read(sweep / f"similarity/{name}.h5")
        assert got["ids"] == reference["ids"]
        assert np.array_equal(got["d"], reference["d"]), np.abs(got["d"] - reference["d"]).max()
        assert got["params"].keys() == reference["params"].keys()
        for key in reference["labels"]:
            assert np.array_equal(got["labels"][key], reference["labels"][key]), key


def test_rerun_under_mpi_resumes(mpirun, sweep):
    first = mpirun(2, "compare", sweep, "--metric", "svcca", "--svcca.k", 3,
                   "--activity.n-trials", 8, "--name", "resume")
    assert first.returncode == 0, first.stderr
    path = sweep / "similarity/resume.h5"
    written = path.stat().st_mtime_ns
    again = mpirun(2, "compare", sweep, "--metric", "svcca", "--svcca.k", 3,
                   "--activity.n-trials", 8, "--name", "resume")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("is up to date") == 1, again.stdout
    assert path.stat().st_mtime_ns == written


def test_errors_end_every_rank_with_one_message(mpirun, sweep, tmp_path):
    # A usage error (k above the 8 units): exit 2 on every rank.
    result = mpirun(2, "compare", sweep, "--metric", "svcca", "--svcca.k", 9, "--name", "bad_k")
    assert_one_error(result, 2, "--svcca.k = 9: must be <= 8")
    assert not (sweep / "similarity/bad_k.h5").exists()

    # A network file that cannot be read (every rank loads every network): exit 1.
    broken = tmp_path / "broken"
    subprocess.run(["cp", "-r", str(sweep), str(broken)], check=True)
    victim = next((broken / "networks").iterdir())
    victim.write_bytes(b"not an HDF5 file")
    result = mpirun(2, "compare", broken, "--metric", "cka", "--activity.n-trials", 8,
                    "--name", "broken")
    assert_one_error(result, 1, victim.name)
    assert not (broken / "similarity/broken.h5").exists()

    # Topology is computed on rank 0 alone; its failure (no dynamics files yet) must still
    # release rank 1, which has nothing to compute.
    result = mpirun(2, "compare", sweep, "--metric", "topology", timeout=60)
    assert_one_error(result, 1, "run `rnnatlas dynamics")
