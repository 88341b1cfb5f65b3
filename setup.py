"""`pip install .`: builds the extension rnnatlas._core and the `rnnatlas` program with CMake.

    /usr/bin/python3 -m pip install --no-build-isolation --no-deps .

configures build/pip in the checkout (RNNATLAS_PIP_BUILD_DIR to choose another directory) as a
Release build without tests and benchmarks, builds the targets _core and rnnatlas (-j from
CMAKE_BUILD_PARALLEL_LEVEL, default 2; a compiler launcher such as ccache from
CMAKE_CXX_COMPILER_LAUNCHER), and installs the package python/rnnatlas with the extension and the
program inside it (rnnatlas/bin/rnnatlas). The `rnnatlas` command that pip installs runs that
program (rnnatlas/_cli.py). The project metadata is in pyproject.toml.
"""

import os
import pathlib
import re
import shutil
import subprocess
import sys

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

ROOT = pathlib.Path(__file__).resolve().parent


def project_version():
    """The version of CMakeLists.txt's project(), so that pip and the library agree."""
    match = re.search(r"project\(rnnatlas VERSION ([0-9.]+)", (ROOT / "CMakeLists.txt").read_text())
    if match is None:
        raise RuntimeError("CMakeLists.txt has no `project(rnnatlas VERSION x.y.z)`")
    return match.group(1)


class BuildWithCMake(build_py):
    """Copies the Python sources, then builds and adds the extension and the program."""

    def run(self):
        super().run()
        if shutil.which("cmake") is None:
            raise RuntimeError("cmake not found: install the build dependencies first "
                               "(scripts/install-deps.sh)")
        build = pathlib.Path(os.environ.get("RNNATLAS_PIP_BUILD_DIR", ROOT / "build" / "pip"))
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), *generator,
                        "-DCMAKE_BUILD_TYPE=Release", "-DBUILD_TESTING=OFF",
                        "-DRNNATLAS_BUILD_BENCHMARKS=OFF", "-DRNNATLAS_BUILD_PYTHON=ON",
                        f"-DPython_EXECUTABLE={sys.executable}"], check=True)
        jobs = os.environ.get("CMAKE_BUILD_PARALLEL_LEVEL", "2")
        subprocess.run(["cmake", "--build", str(build), "-j", jobs, "--target", "_core",
                        "rnnatlas"], check=True)
        package = pathlib.Path(self.build_lib) / "rnnatlas"
        extensions = list((build / "python" / "rnnatlas").glob("_core*.so"))
        if len(extensions) != 1:
            raise RuntimeError(f"expected one _core*.so in {build / 'python/rnnatlas'}, "
                               f"found {len(extensions)}")
        shutil.copy2(extensions[0], package / extensions[0].name)
        (package / "bin").mkdir(exist_ok=True)
        shutil.copy2(build / "apps" / "rnnatlas" / "rnnatlas", package / "bin" / "rnnatlas")


class BinaryDistribution(Distribution):
    """The package holds compiled code: a platform wheel, installed into platlib."""

    def has_ext_modules(self):
        return True


setup(version=project_version(), cmdclass={"build_py": BuildWithCMake},
      distclass=BinaryDistribution)
