"""The report page: one self-contained HTML file (inline CSS, figures as base64 data URIs, no
script, no external resource), readable offline."""

from __future__ import annotations

import base64
import html
from typing import Any, Optional

from ._analysis import NOT_ENOUGH, NOT_REPRODUCED, NOT_RUN, REPRODUCED, RULES
from ._figures import TASK_TITLES

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1240px; padding: 1em 2em 4em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 1.6em; }
.meta { color: #555; font-size: 0.9em; }
nav ul { list-style: none; padding: 0; display: flex; gap: 1.5em; flex-wrap: wrap; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.88em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.verdict { display: inline-block; padding: 0.05em 0.5em; border-radius: 0.7em; font-weight: 600;
           white-space: nowrap; }
.reproduced { background: #cde9de; color: #00573f; }
.not-reproduced { background: #f6d5c3; color: #7a2e00; }
.not-enough-networks { background: #e6e6e6; color: #333; }
.not-run { background: #fff; color: #666; border: 1px dashed #999; }
.status-not-run { color: #666; font-style: italic; }
figure { margin: 1.2em 0 2em; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #333; max-width: 60em; }
figcaption a { margin-left: 0.5em; }
.missing { border: 1px dashed #999; padding: 1em; color: #555; background: #fafafa; }
.warnings { color: #7a2e00; font-size: 0.9em; }
dt { font-weight: 600; margin-top: 0.5em; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _verdict(verdict: str, rule: str = "") -> str:
    css = verdict.replace(" ", "-")
    tooltip = f' title="{_e(rule)}"' if rule else ""
    return f'<span class="verdict {css}"{tooltip}>{_e(verdict)}</span>'


def _num(value: Any, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return _e(value)


def _table(header: list[str], rows: list[list[str]], numeric_from: int = 1) -> str:
    """A table of ``rows`` (HTML, already escaped); columns from ``numeric_from`` on are numbers,
    right-aligned."""
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(
            f'<td class="num">{cell}</td>' if i >= numeric_from else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        ) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _not_run(section: dict[str, Any]) -> Optional[str]:
    if section.get("status") == "ok":
        return None
    return (f'<p class="status-not-run">{_e(section.get("status", NOT_RUN))}: '
            f'{_e(section.get("reason", ""))}</p>')


def _stages(task: dict[str, Any]) -> str:
    rows = []
    for stage, status in task["stages"].items():
        text = _e(status)
        if status == NOT_RUN:
            text = f'<span class="status-not-run">{text}</span>'
        rows.append([_e(stage), text])
    return _table(["stage", "status"], rows, numeric_from=2)


def _population(section: dict[str, Any]) -> str:
    missing = _not_run(section)
    if missing:
        return missing
    rows = [
        [_e(g["cell"]), _e(g["activation"]), _num(g["networks"]), _num(g["trained"]),
         _num(g["kept"]), _num(g["diverged"]), _num(g["median_normalized_mse"])]
        for g in section["groups"]
    ]
    t = section["total"]
    rows.append(["<b>total</b>", "", _num(t["networks"]), _num(t["trained"]), _num(t["kept"]),
                 _num(t["diverged"]), ""])
    return (_table(["architecture", "nonlinearity", "networks", "trained", "kept", "diverged",
                    "median held-out nMSE"], rows, numeric_from=2)
            + f'<p class="meta">From {_e(section["source"])}.</p>')


def _claims(claims: list[dict[str, Any]]) -> str:
    """The claims of one task: claim, expected, measured and verdict (its rule as a tooltip)."""
    rows = [[_e(c["claim"]), _e(c["expected"]), _e(c["measured"]),
             _verdict(c["verdict"], c["rule"])] for c in claims]
    return _table(["claim", "expected (paper)", "measured", "verdict"], rows, numeric_from=4)


def _summary(tasks: dict[str, Any]) -> str:
    """One table of every task's claims, the task named once per group of rows."""
    body = []
    for name, task in tasks.items():
        title = _e(TASK_TITLES.get(name, name))
        if task.get("status") != "ok":
            body.append(f'<tr><th>{title}</th><td colspan="3" class="status-not-run">not run: '
                        f'{_e(task.get("reason", ""))}</td></tr>')
            continue
        claims = task["claims"]
        for i, c in enumerate(claims):
            head = f'<th rowspan="{len(claims)}">{title}</th>' if i == 0 else ""
            body.append(f'<tr>{head}<td>{_e(c["claim"])}</td><td>{_e(c["measured"])}</td>'
                        f'<td>{_verdict(c["verdict"], c["rule"])}</td></tr>')
    return ("<table><thead><tr><th>task</th><th>claim</th><th>measured</th><th>verdict</th></tr>"
            f"</thead><tbody>{''.join(body)}</tbody></table>")


def _clustering(section: dict[str, Any]) -> str:
    missing = _not_run(section)
    if missing:
        return missing
    rows = []
    for metric, m in section["metrics"].items():
        for label, s in m["labels"].items():
            rows.append([
                _e(metric), _e({"cell": "architecture", "activation": "nonlinearity"}.get(label,
                                                                                           label)),
                _num(m["n_networks"]), _num(s.get("n_groups")), _num(s.get("knn_accuracy")),
                _num(s.get("majority_accuracy")), _num(s.get("knn_p_value")),
                _num(s.get("silhouette")), _num(s.get("silhouette_p_value")),
                _num(m.get("normalized_stress")),
            ])
    return _table(["metric", "label", "networks", "groups", "k-NN accuracy", "chance",
                   "k-NN p", "silhouette", "silhouette p", "MDS normalized stress"], rows,
                  numeric_from=2)


def _fixed_points(section: dict[str, Any]) -> str:
    missing = _not_run(section)
    if missing:
        return missing
    rows = []
    for name, s in [*section["by_architecture"].items(), ("all", section["all"])]:
        m = s["mean_per_network"]
        rows.append([_e(name), _num(s["n_networks"])] + [
            _num(m[k], 3) for k in ("points", "stable", "marginal", "saddle", "unstable", "slow")
        ])
    return (_table(["architecture", "networks", "points", "stable", "marginal", "saddle",
                    "unstable", "slow"], rows)
            + '<p class="meta">Mean per network, summed over the constant inputs (conditions).</p>')


def _task_specific(task_name: str, section: Optional[dict[str, Any]]) -> str:
    if section is None:
        return ""
    missing = _not_run(section)
    if missing:
        return missing
    by = section.get("by_architecture", {})
    if task_name == "flip_flop":
        rows = [[_e(c), _num(s["n_networks"]), _num(s["n_with_all_corners"]),
                 _num(s["fraction_with_all_corners"]),
                 _e(", ".join(f"{k}: {v}" for k, v in s["stable_corner_histogram"].items())),
                 _num(s["mean_saddles"]),
                 " / ".join(f"{v:.2g}" for v in s["mean_count_by_unstable"]),
                 _num(s["one_bit_fraction"])] for c, s in by.items()]
        return _table(["architecture", "networks", "with 8 corners", "fraction", "corner counts",
                       "saddles / network", "points with 0/1/2/3/4+ unstable dims / network",
                       "one-bit transitions"], rows)
    if task_name == "sine_wave":
        def fit(f: Optional[dict[str, Any]]) -> list[str]:
            if not f:
                return ["n/a", "n/a"]
            return [_num(f["slope"]), _num(f["r_squared"])]

        rows = [[_e(c), _num(s["n_networks"]), _num(s["fraction_unstable_complex"]),
                 *fit(s["predicted_vs_target"]), *fit(s["measured_vs_target"])]
                for c, s in [*by.items(), ("all", section)]]
        return _table(["architecture", "networks", "inputs with unstable complex pair",
                       "predicted: slope", "predicted: R^2", "measured: slope", "measured: R^2"],
                      rows)
    if task_name == "context_integration":
        rows = [[_e(c), _num(s["n_networks"]), _num(s["fraction_with_line_attractor"]),
                 _num(s["mean_marginal_points"]), _num(s["median_modes_90"]),
                 _num(s["mean_modes_90"])] for c, s in [*by.items(), ("all", section)]]
        return _table(["architecture", "networks", "contexts with a line attractor",
                       "marginal points / context", "median modes for 90%", "mean modes for 90%"],
                      rows)
    return ""


def _figure(task_name: str, name: str, entry: dict[str, Any], png: Optional[bytes]) -> str:
    stem = f"{task_name}_{name}"
    if entry["status"] != "ok" or png is None:
        return (f'<figure id="fig-{_e(stem)}" data-figure="{_e(stem)}"><div class="missing">'
                f'<b>{_e(entry["title"])}</b>: {_e(entry["status"])} '
                f'({_e(entry.get("reason", ""))})</div></figure>')
    data = base64.b64encode(png).decode("ascii")
    links = "".join(f'<a href="{_e(path)}">{_e(path.rsplit(".", 1)[-1].upper())}</a>'
                    for path in entry["files"])
    return (f'<figure id="fig-{_e(stem)}" data-figure="{_e(stem)}">'
            f'<img src="data:image/png;base64,{data}" alt="{_e(entry["title"])}" '
            f'width="{entry["width_px"]}" height="{entry["height_px"]}">'
            f'<figcaption><b>{_e(entry["title"])}.</b> {_e(entry["caption"])}{links}'
            f"</figcaption></figure>")


def _task_section(name: str, task: dict[str, Any], pngs: dict[str, bytes]) -> str:
    title = TASK_TITLES.get(name, name)
    if task.get("status") != "ok":
        return (f'<section id="task-{_e(name)}"><h2>{_e(title)}</h2>'
                f'<p class="status-not-run">not run: {_e(task.get("reason", ""))}</p></section>')
    parts = [f'<section id="task-{_e(name)}"><h2>{_e(title)}</h2>', "<h3>Stages</h3>",
             _stages(task)]
    if task["warnings"]:
        parts.append('<ul class="warnings">' + "".join(f"<li>{_e(w)}</li>"
                                                       for w in task["warnings"]) + "</ul>")
    parts += ["<h3>Claims</h3>", _claims(task["claims"]),
              "<h3>Population</h3>", _population(task["population"]),
              "<h3>Clustering of the embeddings</h3>", _clustering(task["clustering"]),
              "<h3>Fixed points</h3>", _fixed_points(task["fixed_points"])]
    specific = _task_specific(name, task.get(name))
    if specific:
        parts += [f"<h3>{_e(title)}: scaffold</h3>", specific]
    parts.append("<h3>Figures</h3>")
    for fig_name, entry in task["figures"].items():
        parts.append(_figure(name, fig_name, entry, pngs.get(f"{name}_{fig_name}")))
    parts.append("</section>")
    return "\n".join(parts)


def _answer(entry: Optional[dict[str, Any]], png: Optional[bytes]) -> str:
    """The study's answer in one figure (report/__init__.py), first on the page."""
    if entry is None:
        return ""
    return ('<section id="answer"><h2>The answer at a glance</h2>'
            + _figure("study", "answer", entry, png).replace('id="fig-study_answer"',
                                                              'id="fig-answer"')
            + "</section>")


def render(results: dict[str, Any], pngs: dict[str, bytes]) -> str:
    """The whole page; ``pngs`` maps '<task>_<figure>' to PNG bytes."""
    tasks = results["tasks"]
    nav = "".join(f'<li><a href="#task-{_e(n)}">{_e(TASK_TITLES.get(n, n))}</a></li>'
                  for n in tasks)
    summary = _summary(tasks) if tasks else '<p class="status-not-run">No task.</p>'
    rules = "".join(f"<dt>{_e(claim)}</dt><dd>{_e(rule)}</dd>" for claim, rule in RULES.items())
    legend = " ".join(_verdict(v) for v in (REPRODUCED, NOT_REPRODUCED, NOT_ENOUGH, NOT_RUN))
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rnnatlas reproduction report</title>
<link rel="icon" href="data:,">
<style>{CSS}</style>
</head>
<body>
<header>
<h1>rnnatlas: universality and individuality in populations of RNNs</h1>
<p class="meta">Run directory {_e(results["out_dir"])}; report created {_e(results["created"])}
by rnnatlas {_e(results["library_version"])}. Every number is also in results.json.</p>
<nav><ul><li><a href="#answer">Answer</a></li><li><a href="#claims">Claims</a></li>{nav}<li><a href="#rules">Verdict rules</a></li>
</ul></nav>
</header>
{_answer(results.get("answer"), pngs.get("answer"))}
<section id="claims">
<h2>Claims of the study (docs/study.md section 7)</h2>
<p>Verdicts: {legend}. Each follows a fixed rule, listed <a href="#rules">below</a> (and shown
when the pointer rests on a verdict).</p>
{summary}
</section>
{"".join(_task_section(n, t, pngs) for n, t in tasks.items())}
<section id="rules">
<h2>Verdict rules</h2>
<p>"not run" means a stage whose files the rule needs has not written them.</p>
<dl>{rules}</dl>
</section>
</body>
</html>
"""
