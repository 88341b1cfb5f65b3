"""What the side-by-side benchmark drivers (bench/run_*.py) share: finding the binaries of a build,
the median, a description of the machine for the JSON results, and the long-lived worker processes
that answer requests line by line."""

import json
import os
import platform
import signal
import statistics
import subprocess
import tempfile
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


def pin(cpu):
    """A preexec_fn pinning a child process to one CPU."""
    return lambda: os.sched_setaffinity(0, {cpu})


def blas_env(n_threads=1, coretype=None):
    """Our environment with OpenMP, OpenBLAS and MKL limited to n_threads. coretype: None keeps
    OPENBLAS_CORETYPE as it is, "default" unsets it (OpenBLAS picks its kernels), anything else
    sets it."""
    env = dict(os.environ, OMP_NUM_THREADS=str(n_threads), OPENBLAS_NUM_THREADS=str(n_threads),
               MKL_NUM_THREADS=str(n_threads))
    if coretype is not None:
        env.pop("OPENBLAS_CORETYPE", None)
        if coretype != "default":
            env["OPENBLAS_CORETYPE"] = coretype
    return env


def run_main(main):
    """Runs main(); a worker that dies or answers with an error ends the run with its message and
    exit status 1."""
    try:
        main()
    except (WorkerDied, WorkerError) as e:
        raise SystemExit(f"error: {e}") from None


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


class WorkerDied(RuntimeError):
    """A worker process ended before answering."""


class WorkerError(RuntimeError):
    """A worker answered with {"error": ...}."""


class JsonLinesWorker:
    """A long-lived process answering each request line on its stdin with one JSON line on its
    stdout: the --serve mode of bench/reference/*.py, and the rnnatlas bench workers. Its stderr is
    kept in a temporary file for the messages of a worker that dies.

    cmd: the command line; name: for messages; env: its environment (default: ours); cpu: the CPU
    it is pinned to, or None; quit_line: the request that ends it."""

    def __init__(self, cmd, name, env=None, cpu=None, quit_line='{"cmd": "quit"}'):
        self.name = name
        self.quit_line = quit_line
        self.stderr = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen([str(c) for c in cmd], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.stderr, text=True,
                                     env=env, preexec_fn=pin(cpu) if cpu is not None else None)

    def send(self, line):
        """Writes one request line."""
        try:
            self.proc.stdin.write(line + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            self._died()

    def receive(self):
        """The next reply, parsed. Raises WorkerDied or WorkerError."""
        line = self.proc.stdout.readline()
        if not line:
            self._died()
        reply = json.loads(line)
        if "error" in reply:
            raise WorkerError(f"{self.name}: {reply['error']}")
        return reply

    def request(self, line=None, **fields):
        """Sends `line`, or the JSON object of `fields`, and returns the reply."""
        self.send(line if line is not None else json.dumps(fields))
        return self.receive()

    def stderr_text(self):
        self.stderr.seek(0)
        return self.stderr.read().strip()

    def close(self):
        """Asks the worker to quit and waits for it; a worker already gone is fine."""
        if self.proc.poll() is None:
            try:
                self.send(self.quit_line)
            except WorkerDied:
                pass
            self.proc.wait()

    def _died(self):
        rc = self.proc.wait()
        why = f"killed by {signal.Signals(-rc).name}" if rc < 0 else f"exit status {rc}"
        raise WorkerDied(f"{self.name} died ({why}); stderr: {self.stderr_text()[-800:]!r}")
