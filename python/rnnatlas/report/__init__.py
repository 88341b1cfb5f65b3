"""The report of a pipeline run: figures, results.json and a self-contained index.html.

    /usr/bin/python3 -m rnnatlas.report OUT [--tasks flip_flop,sine_wave,context_integration]
                                            [--formats png,pdf]

or ``rnnatlas.report.build_report("OUT")``. It reads what the stages wrote under OUT/<task>/
(docs/pipeline.md) and writes OUT/report/{index.html, results.json, figures/<task>_<name>.png|pdf},
every file atomically. A task whose directory is absent, or a stage that has not run, shows as
"not run" in the page and in results.json; it is never an error. docs/report.md describes every
figure and number and the rule behind each verdict.

Python (numpy, matplotlib); the compiled module reads every file of the study (manifests,
dynamics, distance and embedding files, through the library's own readers) and computes the sine
frequency fit and the Mantel test.
"""

from __future__ import annotations

import datetime
import io
import json
import math
import os
import pathlib
import sys
import time
from typing import Any, Callable, Iterable, Optional

import numpy as np

from . import _analysis, _files, _figures, _html
from ._analysis import NOT_REPRODUCED, NOT_RUN, NOT_ENOUGH, REPRODUCED, RULES

__all__ = [
    "DEFAULT_TASKS",
    "FORMATS",
    "NOT_ENOUGH",
    "NOT_REPRODUCED",
    "NOT_RUN",
    "REPRODUCED",
    "RULES",
    "build_report",
    "figure_names",
]

DEFAULT_TASKS = ("flip_flop", "sine_wave", "context_integration")
FORMATS = ("png", "pdf")
RESULTS_FORMAT = "rnnatlas.report"
RESULTS_FORMAT_VERSION = 1
PNG_DPI = 110


def figure_names(task: str) -> list[str]:
    """The figures of ``task``: the files are figures/<task>_<name>.<format>."""
    return [spec.name for spec in _figures.figures_for(task)]


def _library_version() -> str:
    try:
        from .. import __version__
    except ImportError:
        return "unknown"
    return str(__version__)


def _json_ready(value: Any) -> Any:
    """Plain JSON types: numpy scalars and arrays unwrapped, NaN and infinities as null."""
    if isinstance(value, dict):
        return {str(k): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_ready(value.tolist())
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def _render(fig, file_format: str) -> bytes:
    buffer = io.BytesIO()
    with _figures.matplotlib.rc_context(_figures.STYLE):
        if file_format == "png":
            fig.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None})
        else:
            fig.savefig(buffer, format="pdf", metadata={"CreationDate": None})
    return buffer.getvalue()


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels from the IHDR chunk."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _write_figure(
    stem: str,
    title: str,
    make: Callable[[], tuple[Any, str]],
    report_dir: pathlib.Path,
    formats: tuple[str, ...],
    pngs: dict[str, bytes],
    log: Callable[[str], None],
) -> dict[str, Any]:
    """Draws one figure with ``make()`` and writes figures/<stem>.<format>; returns its entry of
    results.json (status ok, not run or failed)."""
    figure_dir = report_dir / "figures"
    entry: dict[str, Any] = {"title": title}
    try:
        with _figures.matplotlib.rc_context(_figures.STYLE):
            fig, caption = make()
    except _figures.NotRun as reason:
        entry.update(status=NOT_RUN, reason=str(reason))
    except (OSError, KeyError, ValueError, IndexError) as error:
        # A file that passed the format check but lacks what the figure reads: report it
        # in the page rather than lose the whole report.
        entry.update(status="failed", reason=f"{type(error).__name__}: {error}")
        log(f"report: {stem}: failed: {entry['reason']}")
    else:
        png = _render(fig, "png")
        # The layout is now fixed (in figure coordinates, the same at any dpi): the other
        # formats reuse it instead of solving it again.
        fig.set_layout_engine("none")
        pngs[stem] = png
        files = []
        for file_format in formats:
            path = figure_dir / f"{stem}.{file_format}"
            _files.write_atomically(path, png if file_format == "png" else
                                    _render(fig, file_format))
            files.append(f"figures/{path.name}")
        width, height = _png_size(png)
        entry.update(status="ok", caption=caption, files=files, width_px=width,
                     height_px=height)
    if entry["status"] != "ok":
        # A figure that no longer has its input must not survive from an earlier run.
        for file_format in FORMATS:
            (figure_dir / f"{stem}.{file_format}").unlink(missing_ok=True)
    return entry


def _figures_of_task(
    data: _files.TaskData,
    results: dict[str, Any],
    report_dir: pathlib.Path,
    formats: tuple[str, ...],
    pngs: dict[str, bytes],
    log: Callable[[str], None],
) -> dict[str, Any]:
    return {
        spec.name: _write_figure(f"{data.name}_{spec.name}", spec.title,
                                 lambda spec=spec: spec.make(data, results), report_dir, formats,
                                 pngs, log)
        for spec in _figures.figures_for(data.name)
    }


def build_report(
    out_dir: str | os.PathLike[str],
    tasks: Iterable[str] = DEFAULT_TASKS,
    formats: Iterable[str] = FORMATS,
    log: Optional[Callable[[str], None]] = None,
) -> dict[str, Any]:
    """Writes OUT/report for the pipeline run in ``out_dir`` and returns the results (the content
    of results.json). ``tasks``: task directories to read (absent ones are "not run");
    ``formats``: figure files to write, any of "png", "pdf" (the page always inlines PNGs).
    ``log(message)`` receives one line per task (default: stderr).

    Raises ValueError for an unknown format or an empty task list, FileNotFoundError if
    ``out_dir`` is not a directory or holds none of the task directories (for example when it is
    a single population, a `rnnatlas sweep` directory), OSError if the report cannot be written.
    """
    log = log or (lambda message: print(message, file=sys.stderr, flush=True))
    out = pathlib.Path(out_dir)
    tasks = tuple(tasks)
    formats = tuple(dict.fromkeys(formats))
    if not tasks:
        raise ValueError("tasks: the list is empty; give at least one of "
                         + ", ".join(DEFAULT_TASKS))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"formats: {', '.join(unknown)} not supported; allowed: "
                         f"{', '.join(FORMATS)}")
    if not out.is_dir():
        raise FileNotFoundError(f"{out}: no such directory (the --out directory of the pipeline)")
    if not any((out / task).is_dir() for task in tasks):
        found = ("it is one population (a `rnnatlas sweep` directory, with manifest.csv)"
                 if (out / "manifest.csv").is_file() else "it has none of them")
        raise FileNotFoundError(
            f"{out}: not a study: the report reads the --out directory of `rnnatlas reproduce`, "
            f"which holds one population per task ({', '.join(t + '/' for t in tasks)}), but "
            f"{found}. Put the population in a directory named after its task inside OUT, or "
            f"pass --tasks naming the directories OUT has"
        )
    report_dir = out / "report"
    for directory in (report_dir, report_dir / "figures"):
        _files.remove_stale_temporaries(directory)

    results: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "format_version": RESULTS_FORMAT_VERSION,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "library_version": _library_version(),
        "out_dir": str(out),
        "figure_formats": list(formats),
        "verdict_rules": dict(RULES),
        "tasks": {},
    }
    pngs: dict[str, bytes] = {}
    read: list[_files.TaskData] = []
    for task in tasks:
        start = time.monotonic()
        directory = out / task
        if not directory.is_dir():
            results["tasks"][task] = {"status": NOT_RUN, "reason": f"{task}/ not found in {out}"}
            log(f"report: {task}: not run ({task}/ not found)")
            continue
        data = _files.read_task(directory)
        read.append(data)
        task_results = _analysis.task_results(data)
        task_results["figures"] = _figures_of_task(data, task_results, report_dir, formats, pngs,
                                                   log)
        results["tasks"][task] = {"status": "ok", **task_results}
        n_ok = sum(e["status"] == "ok" for e in task_results["figures"].values())
        verdicts = [c["verdict"] for c in task_results["claims"]]
        log(f"report: {task}: {n_ok}/{len(task_results['figures'])} figures, "
            f"{verdicts.count(REPRODUCED)}/{len(verdicts)} claims reproduced "
            f"({time.monotonic() - start:.1f} s)")

    # The study's answer in one figure, across the tasks (the page opens with it).
    results["answer"] = _write_figure("answer", _figures.ANSWER_TITLE,
                                      lambda: _figures.study_answer(read, results["tasks"]),
                                      report_dir, formats, pngs, log)
    results = _json_ready(results)
    _files.write_atomically(report_dir / "results.json",
                            (json.dumps(results, indent=1, allow_nan=False) + "\n").encode())
    _files.write_atomically(report_dir / "index.html", _html.render(results, pngs).encode())
    log(f"report: wrote {report_dir / 'index.html'}")
    return results
