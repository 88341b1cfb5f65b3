"""`pip install .` from a clean clone: the package and the `rnnatlas` command work from there.

Clones the repository's committed HEAD, installs it with Debian's pip, offline and without build
isolation, into a temporary --target directory, then imports rnnatlas from there with
/usr/bin/python3 and runs the installed `rnnatlas --help`. The C++ build goes through ccache when
it is installed (CCACHE_BASEDIR is the clone, so objects built from any checkout are reused).
"""

import os
import pathlib
import re
import shutil
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_pip_install_from_a_clean_clone_gives_the_module_and_the_cli(tmp_path):
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "rnnatlas"
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(clone)],
                   check=True)
    env = dict(os.environ)
    if shutil.which("ccache") is not None:
        env.setdefault("CMAKE_CXX_COMPILER_LAUNCHER", "ccache")
        env.setdefault("CMAKE_C_COMPILER_LAUNCHER", "ccache")
        env["CCACHE_BASEDIR"] = str(clone)
        env["CCACHE_NOHASHDIR"] = "1"
    env.pop("PYTHONPATH", None)
    target = tmp_path / "target"
    install = subprocess.run(
        ["/usr/bin/python3", "-m", "pip", "install", "--no-build-isolation", "--no-deps",
         "--no-index", "--quiet", "--target", str(target), str(clone)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=3600)
    assert install.returncode == 0, install.stdout[-5000:]

    # The package is imported from the target directory, compiled extension included.
    env["PYTHONPATH"] = str(target)
    probe = subprocess.run(
        ["/usr/bin/python3", "-c",
         "import rnnatlas, rnnatlas._core as core; print(rnnatlas.__file__); "
         "print(core.__file__); print(rnnatlas.__version__)"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert probe.returncode == 0, probe.stderr
    package_file, core_file, version = probe.stdout.split()
    assert pathlib.Path(package_file).is_relative_to(target)
    assert pathlib.Path(core_file).is_relative_to(target)
    cmake_version = re.search(r"project\(rnnatlas VERSION ([0-9.]+)",
                              (REPO / "CMakeLists.txt").read_text()).group(1)
    assert version == cmake_version

    # The installed command runs the program installed with the package.
    command = target / "bin" / "rnnatlas"
    assert command.is_file()
    helped = subprocess.run([str(command), "--help"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert helped.returncode == 0, helped.stderr
    for word in ("sweep", "dynamics", "compare"):
        assert word in helped.stdout
    bad = subprocess.run([str(command), "no-such-command"], cwd=tmp_path, env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert bad.returncode == 2, bad.stderr  # the program's own usage error and exit status
    assert bad.stderr.startswith("rnnatlas: error: ")
