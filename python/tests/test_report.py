"""rnnatlas.report on the synthetic pipeline output of report_fixture.py: every figure file, the
numbers of results.json against the fixture's closed-form values, the verdict rules, the
self-contained page, stages that have not run, and atomic writes."""

import base64
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

import report_fixture as fx
import rnnatlas
from rnnatlas import _core, report
from rnnatlas.report import _analysis, _files

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# The warning of a population whose manifest has no content hashes (the synthetic fixture's).
UNHASHED = "records no content hashes"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The fixture tree and its full report (all tasks, PNG and PDF): (out, results, CPU seconds
    of the report; CPU rather than wall time, which depends on what else the machine runs)."""
    out = fx.make_pipeline_output(tmp_path_factory.mktemp("run"))
    messages = []
    start = time.process_time()
    results = report.build_report(out, log=messages.append)
    seconds = time.process_time() - start
    print(f"report of the fixture: {seconds:.1f} s of CPU")
    assert messages[-1].endswith("index.html")
    return out, results, seconds


def task(built, name):
    return built[1]["tasks"][name]


def upper(d):
    return d[np.triu_indices_from(d, k=1)]


# ---- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_name", fx.TASKS)
def test_every_figure_is_a_valid_png_and_pdf(built, task_name):
    out = built[0]
    names = report.figure_names(task_name)
    assert {"example_trial", "pca_fixed_points", "svcca", "topology",
            "svcca_vs_topology"} <= set(names)
    for name in names:
        png = (out / "report/figures" / f"{task_name}_{name}.png").read_bytes()
        assert png.startswith(PNG_SIGNATURE), name
        width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
        assert 300 < width < 1600 and 200 < height < 1200, (name, width, height)
        pdf = (out / "report/figures" / f"{task_name}_{name}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF"), name
        entry = task(built, task_name)["figures"][name]
        assert entry["status"] == "ok"
        assert entry["files"] == [f"figures/{task_name}_{name}.png",
                                  f"figures/{task_name}_{name}.pdf"]
        assert (entry["width_px"], entry["height_px"]) == (width, height)
        assert len(entry["caption"]) > 40


def test_task_specific_figures(built):
    assert "frequency" in report.figure_names("sine_wave")
    assert {"line_attractors", "eigenvalue_spectra", "mode_response"} <= set(
        report.figure_names("context_integration"))
    assert "frequency" not in report.figure_names("flip_flop")


def test_the_fixture_report_is_fast(built):
    assert built[2] < 40  # about 15 s on one core of the 2-core reference machine


def test_results_json_is_the_returned_results(built):
    out, results, _ = built
    on_disk = json.loads((out / "report/results.json").read_text())
    assert on_disk == results
    assert on_disk["format"] == "rnnatlas.report" and on_disk["format_version"] == 1
    assert set(on_disk["tasks"]) == set(fx.TASKS)
    assert set(on_disk["verdict_rules"]) == set(_analysis.CLAIMS)
    for name in fx.TASKS:
        t = on_disk["tasks"][name]
        assert t["status"] == "ok"
        assert {"stages", "population", "clustering", "fixed_points", "mantel", "claims",
                "figures", name} <= set(t)
        # The fixture is synthetic: no network files, so no content hashes to check against.
        assert [w for w in t["warnings"] if UNHASHED not in w] == []
        assert len(t["warnings"]) == 1


def test_claims_of_each_task(built):
    common = {"geometry_by_architecture", "geometry_by_nonlinearity", "topology_by_architecture",
              "topology_by_nonlinearity", "geometry_vs_function"}
    specific = {"flip_flop": {"flip_flop_corners", "flip_flop_saddles"},
                "sine_wave": {"sine_unstable_points", "sine_frequency"},
                "context_integration": {"cdi_line_attractors", "cdi_modes"}}
    for name in fx.TASKS:
        claims = task(built, name)["claims"]
        assert {c["id"] for c in claims} == common | specific[name]
        for c in claims:
            assert {"claim", "expected", "rule", "measured", "verdict", "numbers"} <= set(c)
            # The fixture was made to show every finding of the study.
            assert c["verdict"] == report.REPRODUCED, c


# ---- numbers -----------------------------------------------------------------------------------


def test_population_from_the_manifest(built):
    p = task(built, "flip_flop")["population"]
    assert p["source"] == "manifest.csv"
    n_groups = len(fx.CELLS) * len(fx.ACTIVATIONS)
    assert p["total"] == {"networks": n_groups * (fx.N_PER_GROUP + 1),
                          "trained": n_groups * (fx.N_PER_GROUP + 1),
                          "kept": n_groups * fx.N_PER_GROUP, "diverged": 1}
    vanilla_relu = next(g for g in p["groups"] if (g["cell"], g["activation"]) == fx.DIVERGED_GROUP)
    assert vanilla_relu["diverged"] == 1
    assert [g["cell"] for g in p["groups"]][::2] == list(fx.CELLS)  # the study's order


def test_clustering_numbers_come_from_the_embedding_files(built):
    c = task(built, "sine_wave")["clustering"]
    assert set(c["metrics"]) == {"svcca", "topology", "cka"}
    for metric, labels in fx.CLUSTER_STATS.items():
        for label, stats in labels.items():
            got = c["metrics"][metric]["labels"][label]
            for key, value in stats.items():
                assert got[key] == pytest.approx(value), (metric, label, key)
            assert got["n_permutations"] == 999
    assert c["metrics"]["svcca"]["mds"] == "smacof"
    assert c["metrics"]["svcca"]["normalized_stress"] == pytest.approx(0.12)


def test_fixed_point_counts_per_stability_class(built):
    n = len(fx.kept_networks())
    ff = task(built, "flip_flop")["fixed_points"]["all"]
    assert ff["n_networks"] == n
    # 27 points per network (8 corners, 19 saddles), one network lacks a corner.
    assert ff["total"] == {"stable": 8 * n - 1, "marginal": 0, "saddle": 19 * n, "unstable": 0,
                           "slow": 0, "points": 27 * n - 1}
    cdi = task(built, "context_integration")["fixed_points"]
    assert cdi["all"]["total"]["marginal"] == 2 * fx.CDI_MARGINAL_POINTS * n
    assert list(cdi["by_architecture"]) == list(fx.CELLS)
    assert cdi["by_architecture"]["gru"]["mean_per_network"]["marginal"] == 10


def test_flip_flop_corners_and_transitions(built):
    ff = task(built, "flip_flop")["flip_flop"]
    n = len(fx.kept_networks())
    assert ff["n_bits"] == 3
    assert ff["n_with_all_corners"] == n - 1
    assert ff["fraction_with_all_corners"] == pytest.approx((n - 1) / n)
    assert ff["stable_corner_histogram"] == {"7": 1, "8": n - 1}
    total = fx.ONE_BIT_TRANSITIONS * n + 2
    assert ff["corner_transitions_total"] == total
    assert ff["one_bit_fraction"] == pytest.approx(fx.ONE_BIT_TRANSITIONS * n / total)
    np.testing.assert_allclose(ff["mean_count_by_unstable"], [8 - 1 / n, 12, 6, 1, 0])
    first = ff["by_architecture"]["vanilla"]  # holds network 0, the one with 7 corners
    assert first["n_with_all_corners"] == first["n_networks"] - 1


def test_sine_frequency_fit_is_the_fixture_slope(built):
    s = task(built, "sine_wave")["sine_wave"]
    fit = s["predicted_vs_target"]
    n = len(fx.kept_networks())
    w = fx.SINE_FREQUENCIES
    assert fit["slope"] == pytest.approx(fx.PREDICTED_SLOPE, abs=1e-12)
    assert fit["intercept"] == pytest.approx(0, abs=1e-12)
    assert fit["r_squared"] == pytest.approx(1, abs=1e-12)
    assert fit["n_points"] == n * w.size - 1  # one input has no prediction
    # Against the identity: 1 - sum((0.9 w - w)^2) / sum((0.9 w - mean)^2), over the same pairs.
    target = np.concatenate([np.tile(w, n - 1), w[:-1]])
    predicted = fx.PREDICTED_SLOPE * target
    expected = 1 - np.sum((predicted - target) ** 2) / np.sum((predicted - predicted.mean()) ** 2)
    assert fit["identity_r_squared"] == pytest.approx(expected, rel=1e-12)
    assert s["measured_vs_target"]["slope"] == pytest.approx(1, abs=1e-12)
    assert s["fraction_unstable_complex"] == pytest.approx((n * w.size - 1) / (n * w.size))
    claim = next(c for c in task(built, "sine_wave")["claims"] if c["id"] == "sine_frequency")
    assert claim["numbers"]["slope"] == pytest.approx(0.9)
    assert "0.900 x target" in claim["measured"]


def test_context_integration_modes_by_architecture(built):
    c = task(built, "context_integration")["context_integration"]
    for cell, modes in fx.CDI_MODES.items():
        s = c["by_architecture"][cell]
        assert s["median_modes_90"] == modes
        assert s["fraction_with_line_attractor"] == 1
        assert s["mean_marginal_points"] == fx.CDI_MARGINAL_POINTS
        assert s["n_networks"] == fx.N_PER_GROUP * len(fx.ACTIVATIONS)


def test_mantel_correlations_match_numpy(built):
    m = task(built, "flip_flop")["mantel"]
    kept = fx.kept_networks()
    svcca, topology = fx.distances_for("svcca", kept), fx.distances_for("topology", kept)
    cells = np.array([n.cell for n in kept])
    different = (cells[:, None] != cells[None, :]).astype(float)
    assert m["status"] == "ok" and m["n_networks"] == len(kept)
    assert m["svcca_vs_topology"]["r"] == pytest.approx(
        np.corrcoef(upper(svcca), upper(topology))[0, 1], abs=1e-10)
    assert m["svcca_vs_architecture"]["r"] == pytest.approx(
        np.corrcoef(upper(svcca), upper(different))[0, 1], abs=1e-10)
    assert m["svcca_vs_architecture"]["p_value"] == pytest.approx(1 / 1000)
    t = task(built, "flip_flop")["topology_distance"]
    assert t["mean"] == pytest.approx(upper(topology).mean())


def test_linear_fit_known_line_and_degenerate_inputs():
    x = np.array([0.1, 0.2, 0.3, 0.4, np.nan])
    fit = _analysis.linear_fit(x, 2 * x + 1)
    assert fit["slope"] == pytest.approx(2) and fit["intercept"] == pytest.approx(1)
    assert fit["r_squared"] == pytest.approx(1) and fit["n_points"] == 4
    assert _analysis.linear_fit([1, 2], [1, 2]) is None  # fewer than 3 pairs
    assert _analysis.linear_fit([1, 1, 1], [1, 2, 3]) is None  # constant x


def test_linear_fit_is_the_librarys_and_agrees_with_polyfit():
    rng = np.random.default_rng(5)
    x = rng.uniform(0.1, 0.6, 60)
    y = 1.1 * x - 0.02 + rng.normal(0, 0.03, 60)
    x[[3, 17]], y[[8, 40]] = np.nan, np.inf  # four pairs dropped
    ok = np.isfinite(x) & np.isfinite(y)
    slope, intercept = np.polyfit(x[ok], y[ok], 1)
    residual = y[ok] - intercept - slope * x[ok]
    total = np.sum((y[ok] - y[ok].mean()) ** 2)
    fit = _analysis.linear_fit(x, y)
    assert fit == _core.fit_line(x, y)  # the wrapper converts only NaN R^2 to None
    assert fit["n_points"] == 56
    assert fit["slope"] == pytest.approx(slope, abs=1e-12)
    assert fit["intercept"] == pytest.approx(intercept, abs=1e-12)
    assert fit["r_squared"] == pytest.approx(1 - residual @ residual / total, abs=1e-12)
    assert fit["identity_r_squared"] == pytest.approx(
        1 - np.sum((y[ok] - x[ok]) ** 2) / total, abs=1e-12)
    # A column or a list is flattened, as before.
    assert _analysis.linear_fit(x[:, None], list(y)) == fit


def test_linear_fit_undefined_cases():
    assert _analysis.linear_fit([], []) is None
    assert _analysis.linear_fit([1, np.nan, 3], [1, 2, 3]) is None  # 2 finite pairs
    assert _analysis.linear_fit([0.1, 0.1, 0.1], [1, 2, 3]) is None  # constant x
    fit = _analysis.linear_fit([1, 2, 3], [0.5, 0.5, 0.5])  # constant y: no R^2
    assert fit["slope"] == 0 and fit["intercept"] == 0.5 and fit["n_points"] == 3
    assert fit["r_squared"] is None and fit["identity_r_squared"] is None
    assert np.isnan(_core.fit_line([1, 2, 3], [0.5, 0.5, 0.5])["r_squared"])
    with pytest.raises(ValueError, match="fit_line: x has 3 values and y 2"):
        _analysis.linear_fit([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="complex"):
        _core.fit_line([1, 2, 3], [1j, 2, 3])


def embedding_with(label, **stats):
    return _files.Embedding(metric="m", network_ids=[str(i) for i in range(24)],
                            coordinates=np.zeros((24, 2)), method="classical",
                            normalized_stress=0.1, clusters={label: stats})


@pytest.mark.parametrize("expect_clusters, accuracy, p, verdict", [
    (True, 0.9, 0.001, report.REPRODUCED),
    (True, 0.9, 0.02, report.NOT_REPRODUCED),
    (False, 0.3, 0.5, report.REPRODUCED),
    (False, 0.3, 0.001, report.REPRODUCED),  # significant but within 0.1 of chance
    (False, 0.6, 0.001, report.NOT_REPRODUCED),
])
def test_cluster_verdict_rules(expect_clusters, accuracy, p, verdict):
    e = embedding_with("cell", knn_accuracy=accuracy, knn_p_value=p, majority_accuracy=0.25,
                       n_groups=4, silhouette=0.1, silhouette_p_value=0.5)
    claim_id = "geometry_by_architecture" if expect_clusters else "topology_by_architecture"
    claim = _analysis._cluster_claim(claim_id, e, "m", "cell", expect_clusters)
    assert claim["verdict"] == verdict
    few = embedding_with("cell", knn_accuracy=accuracy, knn_p_value=p, majority_accuracy=0.25,
                         n_groups=9, silhouette=0.1, silhouette_p_value=0.5)  # 24 < 3 x 9
    assert _analysis._cluster_claim(claim_id, few, "m", "cell", expect_clusters)["verdict"] == \
        report.NOT_ENOUGH
    assert _analysis._cluster_claim(claim_id, None, "m", "cell", True)["verdict"] == report.NOT_RUN


# ---- the page ----------------------------------------------------------------------------------


def test_index_html_inlines_every_figure_and_has_no_external_url(built):
    out, results, _ = built
    page = (out / "report/index.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    images = re.findall(r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    n_figures = 0
    for name in fx.TASKS:
        for fig in report.figure_names(name):
            stem = f"{name}_{fig}"
            n_figures += 1
            assert f'data-figure="{stem}"' in page
            assert f'href="figures/{stem}.png"' in page and f'href="figures/{stem}.pdf"' in page
            png = (out / "report/figures" / f"{stem}.png").read_bytes()
            assert base64.b64encode(png).decode() in images, stem
    # The study's answer opens the page, before the claims.
    assert results["answer"]["status"] == "ok"
    assert page.index('id="answer"') < page.index('id="claims"')
    png = (out / "report/figures/answer.png").read_bytes()
    assert base64.b64encode(png).decode() in images
    assert len(images) == page.count("<img") == n_figures + 1
    for url in re.findall(r'(?:src|href)="([^"]*)"', page):
        assert url.startswith(("data:", "#", "figures/")), url
    text = re.sub(r'"data:[^"]*"', '""', page)  # base64 may contain any "//x"
    assert not re.search(r"https?://|//[a-z]|@import|url\(", text)
    assert "<script" not in page
    for verdict in (report.REPRODUCED, report.NOT_REPRODUCED, report.NOT_ENOUGH, report.NOT_RUN):
        assert verdict in page  # the legend lists all four
    assert "0.938" in page  # the k-NN accuracy of the SVCCA architecture label (0.9375)


# ---- partial runs ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def partial(tmp_path_factory):
    """A run with stages missing: flip_flop without similarity/ and summary.csv, sine_wave without
    dynamics/, context_integration absent, plus stale files from an earlier report."""
    out = fx.make_pipeline_output(tmp_path_factory.mktemp("partial"),
                                  tasks=("flip_flop", "sine_wave"), n_per_group=1)
    shutil.rmtree(out / "flip_flop/similarity")
    (out / "flip_flop/summary.csv").unlink()
    shutil.rmtree(out / "sine_wave/dynamics")
    figures = out / "report/figures"
    figures.mkdir(parents=True)
    (figures / "flip_flop_svcca.png").write_bytes(b"stale")
    (figures / "flip_flop_svcca.pdf").write_bytes(b"stale")
    (figures / "flip_flop_example_trial.png.tmp-123-0").write_bytes(b"half")
    (out / "report/results.json.tmp-123-1").write_bytes(b"half")
    results = report.build_report(out, formats=["png"], log=lambda message: None)
    return out, results


def test_missing_stages_are_not_run(partial):
    out, results = partial
    ff = results["tasks"]["flip_flop"]
    assert ff["stages"]["similarity"] == "not run" and ff["stages"]["embedding"] == "not run"
    assert "summary" not in ff["stages"]  # the table is computed from the manifest, not read
    assert ff["population"]["source"].startswith("manifest.csv")
    assert ff["population"]["total"]["kept"] == 8
    assert ff["clustering"]["status"] == "not run" and ff["mantel"]["status"] == "not run"
    verdicts = {c["id"]: c["verdict"] for c in ff["claims"]}
    for claim in ("geometry_by_architecture", "topology_by_nonlinearity", "geometry_vs_function"):
        assert verdicts[claim] == report.NOT_RUN
    assert ff["figures"]["svcca"]["status"] == "not run"
    assert "svcca.h5 not found" in ff["figures"]["svcca"]["reason"]
    assert ff["figures"]["example_trial"]["status"] == "ok"

    sine = results["tasks"]["sine_wave"]
    assert sine["stages"]["dynamics"] == "not run"
    assert sine["fixed_points"]["status"] == "not run"
    assert sine["sine_wave"]["status"] == "not run"
    assert sine["figures"]["frequency"]["status"] == "not run"
    assert sine["figures"]["svcca"]["status"] == "ok"  # similarity ran
    assert {c["id"]: c["verdict"] for c in sine["claims"]}["sine_frequency"] == report.NOT_RUN

    assert results["tasks"]["context_integration"]["status"] == "not run"
    page = (out / "report/index.html").read_text()
    assert page.count("not run") >= 10
    assert "context_integration/ not found" in page


def test_few_networks_give_not_enough_networks(partial):
    # One network per cell x activation: 8 networks, fewer than 3 per architecture.
    sine = partial[1]["tasks"]["sine_wave"]
    verdicts = {c["id"]: c["verdict"] for c in sine["claims"]}
    assert verdicts["geometry_by_architecture"] == report.NOT_ENOUGH
    assert verdicts["geometry_by_nonlinearity"] == report.REPRODUCED  # 8 >= 3 x 2 groups


def test_only_requested_formats_and_no_stale_files(partial):
    out, results = partial
    figures = out / "report/figures"
    assert not list(figures.glob("*.pdf"))
    assert not (figures / "flip_flop_svcca.png").exists()  # its input is gone
    assert not list((out / "report").rglob("*.tmp-*"))
    produced = {p.name for p in figures.iterdir()}
    expected = {f"{t}_{name}.png" for t, task_results in results["tasks"].items()
                if task_results["status"] == "ok"
                for name, entry in task_results["figures"].items() if entry["status"] == "ok"}
    if results["answer"]["status"] == "ok":
        expected.add("answer.png")
    assert produced == expected


def test_answer_figure_states_each_tasks_architecture_accuracies(built):
    out, results, _ = built
    answer = results["answer"]
    assert answer["status"] == "ok" and answer["files"] == ["figures/answer.png",
                                                            "figures/answer.pdf"]
    for name, task in results["tasks"].items():
        labels = task["clustering"]["metrics"]
        if not {"svcca", "topology"} <= labels.keys():
            continue
        geometry = labels["svcca"]["labels"]["cell"]["knn_accuracy"]
        scaffold = labels["topology"]["labels"]["cell"]["knn_accuracy"]
        assert f"SVCCA with k-NN accuracy {geometry:.2f}" in answer["caption"], name
        assert f"from the topology with {scaffold:.2f}" in answer["caption"], name


def test_answer_figure_is_not_run_without_embeddings(tmp_path):
    out = fx.make_pipeline_output(tmp_path, tasks=("flip_flop",), n_per_group=1)
    shutil.rmtree(out / "flip_flop/similarity")
    results = report.build_report(out, tasks=["flip_flop"], formats=["png"],
                                  log=lambda message: None)
    assert results["answer"]["status"] == "not run"
    assert "SVCCA and the topology embeddings" in results["answer"]["reason"]
    assert not (out / "report/figures/answer.png").exists()
    assert 'id="answer"' in (out / "report/index.html").read_text()


def test_atomic_writes_leave_no_temporary_files(built):
    out = built[0]
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]


def test_failed_write_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    target = tmp_path / "results.json"
    target.write_text("old")

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        _files.write_atomically(target, b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]


def test_unreadable_dynamics_file_is_a_warning(tmp_path):
    out = fx.make_pipeline_output(tmp_path, tasks=("flip_flop",), n_per_group=1, metrics=())
    broken = sorted((out / "flip_flop/dynamics").glob("*.h5"))[0]
    broken.write_bytes(b"not hdf5")
    data = _files.read_task(out / "flip_flop")
    assert len(data.dynamics) == 7
    warnings = [w for w in data.warnings if UNHASHED not in w]
    assert len(warnings) == 1 and broken.name in warnings[0]


def test_similarity_files_are_read_by_the_library_reader(tmp_path):
    # The report reads distance and embedding files through the same C++ readers as `rnnatlas
    # embed`: a file they refuse (here an asymmetric matrix, and an embedding of a format version
    # from the future) is skipped with the library's reason, not plotted.
    import h5py

    out = fx.make_pipeline_output(tmp_path, tasks=("flip_flop",), n_per_group=1,
                                  metrics=("svcca", "cka"))
    similarity = out / "flip_flop/similarity"
    with h5py.File(similarity / "svcca.h5", "r+") as f:
        d = f["distances"][()]
        d[0, 1] += 0.5
        f["distances"][...] = d
    with h5py.File(similarity / "cka.embedding.h5", "r+") as f:
        f.attrs["format_version"] = np.int64(99)
    data = _files.read_task(out / "flip_flop")
    warnings = [w for w in data.warnings if UNHASHED not in w]
    assert "svcca" not in data.distances and "cka" in data.distances
    assert "cka" not in data.embeddings
    assert any("svcca.h5: skipped" in w and "symmetric" in w for w in warnings), warnings
    assert any("cka.embedding.h5: skipped" in w and "99" in w for w in warnings), warnings
    loaded = data.distances["cka"]
    assert loaded.labels["cell"] == [n.cell for n in fx.population(1) if n.kept]


def test_dynamics_files_are_read_by_the_library_reader(tmp_path):
    # The report reads dynamics files through load_dynamics_file, as `rnnatlas compare` does: a
    # file it refuses (here /options without a stored option) is skipped with the library's
    # reason; the others give the typed task analysis under the file's /analysis names.
    import h5py

    out = fx.make_pipeline_output(tmp_path, tasks=("flip_flop",), n_per_group=1)
    paths = sorted((out / "flip_flop/dynamics").glob("*.h5"))
    with h5py.File(paths[0], "r+") as f:
        del f["options"].attrs["fixed_points.newton.max_iters"]
    data = _files.read_task(out / "flip_flop")
    assert paths[0].stem not in {d.network_id for d in data.dynamics}
    assert any(paths[0].name in w and "fixed_points.newton.max_iters" in w for w in data.warnings)
    loaded = data.dynamics[0]
    reference = rnnatlas.load_dynamics(loaded.path)
    assert loaded.analysis["n_stable_corners"] == reference.flip_flop.n_stable_corners
    assert np.array_equal(loaded.analysis["count_by_unstable"],
                          reference.flip_flop.count_by_unstable)
    codes = {"stable": 0, "marginal": 1, "saddle": 2, "unstable": 3}
    assert list(loaded.stability[0]) == [codes[s] for s in reference.conditions[0].stability]


def test_a_stale_summary_csv_is_not_used(tmp_path):
    """summary.csv written while the sweep ran says 3 trained, 2 kept; the manifest says more."""
    out = fx.make_pipeline_output(tmp_path, tasks=("flip_flop",), n_per_group=1, metrics=())
    summary = out / "flip_flop/summary.csv"
    lines = summary.read_text().splitlines()
    stale = [lines[0]] + [",".join(line.split(",")[:3] + ["0", "0"] + line.split(",")[5:])
                          for line in lines[1:]]
    summary.write_text("\n".join(stale) + "\n")
    data = _files.read_task(out / "flip_flop")
    assert data.population_source == "manifest.csv"
    assert sum(g.kept for g in data.population) == len(fx.CELLS) * len(fx.ACTIVATIONS)


def test_a_manifest_the_cli_refuses_is_refused_with_everything_derived(tmp_path):
    out = fx.make_pipeline_output(tmp_path, tasks=("flip_flop",), n_per_group=1, metrics=("svcca",))
    manifest = out / "flip_flop/manifest.csv"
    lines = manifest.read_text().splitlines()
    manifest.write_text("\n".join(lines + [lines[2]]) + "\n")  # a duplicated row
    data = _files.read_task(out / "flip_flop")
    assert data.stages["sweep"] == "refused"
    assert data.population is None and not data.dynamics and not data.distances
    assert len(data.warnings) == 1 and "is also on line 3" in data.warnings[0]


def test_dynamics_of_a_network_that_is_not_kept_are_skipped(tmp_path):
    out = fx.make_pipeline_output(tmp_path, tasks=("flip_flop",), n_per_group=1, metrics=())
    manifest = out / "flip_flop/manifest.csv"
    lines = manifest.read_text().splitlines()
    header = lines[0].split(",")
    kept_at, id_at = header.index("kept"), header.index("id")
    first_kept = next(i for i, line in enumerate(lines[1:], 1) if line.split(",")[kept_at] == "1")
    fields = lines[first_kept].split(",")
    fields[kept_at] = "0"
    lines[first_kept] = ",".join(fields)
    manifest.write_text("\n".join(lines) + "\n")
    data = _files.read_task(out / "flip_flop")
    assert len(data.dynamics) == 7
    assert fields[id_at] not in {d.network_id for d in data.dynamics}
    assert any(f"network '{fields[id_at]}' is not a kept network" in w for w in data.warnings)


# ---- command line ------------------------------------------------------------------------------


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "rnnatlas.report", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_cli_errors(tmp_path):
    missing = run_cli(tmp_path / "nowhere")
    assert missing.returncode == 1
    assert "nowhere: no such directory" in missing.stderr
    bad = run_cli(tmp_path, "--formats", "svg")
    assert bad.returncode == 2 and "--formats svg: allowed: png, pdf" in bad.stderr


def test_cli_refuses_a_directory_that_is_not_a_study(tmp_path):
    out = fx.make_pipeline_output(tmp_path, tasks=("sine_wave",), n_per_group=1,
                                  metrics=("svcca",))
    population = out / "sine_wave"
    assert (population / "manifest.csv").is_file()
    result = run_cli(population)
    assert result.returncode == 1
    assert "not a study" in result.stderr and "one population" in result.stderr
    assert "flip_flop/" in result.stderr
    assert not (population / "report").exists()
    empty = run_cli(tmp_path, "--tasks", "flip_flop")
    assert empty.returncode == 1 and "it has none of them" in empty.stderr


def test_cli_writes_the_report(tmp_path):
    out = fx.make_pipeline_output(tmp_path, tasks=("sine_wave",), n_per_group=1,
                                  metrics=("svcca",))
    result = run_cli(out, "--tasks", "sine_wave", "--formats", "png")
    assert result.returncode == 0, result.stderr
    assert "report: sine_wave: 4/6 figures" in result.stderr
    results = json.loads((out / "report/results.json").read_text())
    assert list(results["tasks"]) == ["sine_wave"]
    assert results["tasks"]["sine_wave"]["figures"]["topology"]["status"] == "not run"


def task_with_distances(svcca, topology, cells):
    ids = [f"n{i}" for i in range(len(cells))]
    labels = {"cell": list(cells), "activation": ["tanh"] * len(cells)}
    data = _files.TaskData(name="flip_flop", directory=pathlib.Path("."))
    data.distances = {"svcca": _files.Distances("svcca", ids, svcca, labels),
                      "topology": _files.Distances("topology", ids, topology, labels)}
    return data


def test_constant_topology_distances_count_as_no_correlation():
    cells = ["vanilla"] * 4 + ["gru"] * 4 + ["lstm"] * 4
    kept = [fx.Network(i, c, "tanh", 0, True, "completed") for i, c in enumerate(cells)]
    svcca = fx.distances_for("svcca", kept)
    same = np.full((12, 12), 0.1) - 0.1 * np.eye(12)  # every network has the same scaffold
    mantel, claim = _analysis.geometry_vs_function(task_with_distances(svcca, same, cells))
    assert mantel["svcca_vs_topology"]["status"] == "undefined"
    assert "constant" in mantel["svcca_vs_topology"]["reason"]
    assert mantel["svcca_vs_architecture"]["p_value"] < 0.01
    assert claim["verdict"] == report.REPRODUCED

    one_cell = ["gru"] * 12
    _, claim = _analysis.geometry_vs_function(task_with_distances(svcca, same, one_cell))
    assert claim["verdict"] == report.NOT_ENOUGH
    _, claim = _analysis.geometry_vs_function(task_with_distances(svcca[:4, :4], same[:4, :4],
                                                                  cells[:4]))
    assert claim["verdict"] == report.NOT_ENOUGH
