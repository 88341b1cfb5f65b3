"""What the side-by-side benchmark drivers (bench/run_*.py) share: finding the binaries of a build,
the median, and a description of the machine for the JSON results."""

import os
import platform
import statistics
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median(xs):
    """The median of xs, NaN when empty."""
    return statistics.median(xs) if xs else float("nan")


def find_binary(build_dir, relative):
    """BUILD/relative (e.g. "bench/training_benchmark", "apps/rnnatlas/rnnatlas") in the build
    tree given, else in build/release, else build; None when absent."""
    candidates = [Path(build_dir)] if build_dir else [ROOT / "build" / "release", ROOT / "build"]
    for d in candidates:
        if (d / relative).is_file():
            return d / relative
    return None


def machine_info():
    """CPU model and count, platform and load average, as recorded in every result file."""
    model = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu_model": model, "n_cpus": os.cpu_count(), "platform": platform.platform(),
            "load_average_start": os.getloadavg()}
