"""Fixtures for the end-to-end tests of the `rnnatlas` command-line program.

The binary comes from the environment variable RNNATLAS_CLI (set by the CTest test `cli`), or else
from build/apps/rnnatlas/rnnatlas in the source tree.
"""

import os
import pathlib
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def cli_path():
    path = pathlib.Path(os.environ.get("RNNATLAS_CLI", REPO / "build/apps/rnnatlas/rnnatlas"))
    if not path.is_file():
        pytest.fail(f"rnnatlas binary not found at {path}: build it, or set RNNATLAS_CLI")
    return path


@pytest.fixture(scope="session")
def run(cli_path):
    """run(*args, timeout=60, stderr=PIPE) -> CompletedProcess with text stdout/stderr."""

    def run_cli(*args, timeout=60, cwd=None, stderr=subprocess.PIPE):
        return subprocess.run(
            [str(cli_path), *map(str, args)],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            timeout=timeout,
            cwd=cwd,
        )

    return run_cli


# A tiny flip-flop network: trains in well under a second.
TINY = [
    "--task", "flip_flop", "--task-param", "n_time=20", "--n-hidden", "8",
    "--n-iterations", "30", "--n-batch", "16", "--n-eval-batch", "16",
]


@pytest.fixture(scope="session")
def tiny_network(run, tmp_path_factory):
    """An LSTM trained once for the session: (path, CompletedProcess of `train`)."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.h5"
    result = run("train", *TINY, "--cell", "lstm", "--seed", "7", "--out", path)
    assert result.returncode == 0, result.stderr
    return path, result


@pytest.fixture(scope="session")
def mpi_launcher(run):
    """(launcher words, environment) for Open MPI's mpirun without the rank count, e.g.
    (["mpirun", "--oversubscribe"], env). Skips when rnnatlas was built without MPI or Open MPI's
    mpirun is missing."""
    if "This build: without MPI" in run("sweep", "--help").stdout:
        pytest.skip("rnnatlas was built without MPI (RNNATLAS_WITH_MPI=OFF)")
    launcher = shutil.which("mpirun")
    if launcher is None:
        pytest.skip("mpirun not found (Debian: apt-get install openmpi-bin)")
    version = subprocess.run([launcher, "--version"], capture_output=True, text=True)
    if "Open MPI" not in version.stdout + version.stderr:
        pytest.skip(f"{launcher} is not Open MPI's (these tests use its flags)")
    words = [launcher, "--oversubscribe"]  # 2 ranks even on a machine with 1 core
    if os.geteuid() == 0:
        words.append("--allow-run-as-root")  # CI containers
    env = dict(os.environ)
    # Containers often forbid the kernel's cross-memory attach; without this Open MPI warns.
    env.setdefault("OMPI_MCA_btl_vader_single_copy_mechanism", "none")
    return words, env
