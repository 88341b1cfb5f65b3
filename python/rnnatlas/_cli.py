"""The `rnnatlas` command of a pip installation: runs the program installed inside the package."""

import os
import pathlib
import sys


def main():
    program = pathlib.Path(__file__).resolve().parent / "bin" / "rnnatlas"
    if not os.access(program, os.X_OK):
        sys.exit(f"rnnatlas: error: {program} is missing or not executable: the `rnnatlas` "
                 "command comes with `pip install .`; from a CMake build, run "
                 "build/<preset>/apps/rnnatlas/rnnatlas")
    os.execv(program, [str(program), *sys.argv[1:]])
