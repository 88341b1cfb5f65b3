#!/usr/bin/python3
"""Loads the report page in headless Chromium and checks that it works for a reader.

    check_in_chromium.py [INDEX_HTML] [--screenshot PNG]

Without INDEX_HTML it builds the report of the synthetic run of python/tests/report_fixture.py
(needs rnnatlas importable: PYTHONPATH=<build>/python). The page is copied with a probe script
injected at the top of <head>; the probe records script errors, console.error calls and failed
resource loads, and on `load` writes a JSON marker into the DOM: how many <img> there are, which
are not decoded (naturalWidth 0), and which resources came from anywhere but data: or file: URLs.
Chromium's --dump-dom prints the DOM after load, the marker is read back from it, and Chromium's
own console log (stderr) is scanned for page messages too.

Before the real page, the same probe runs on a page made to fail (a broken image and a
console.error): if that page passes, the check itself is broken.

Exit status: 0 all checks pass, 1 a check failed, 77 skipped (no Chromium: `apt-get install
chromium`, or set CHROMIUM to the binary).
"""

from __future__ import annotations

import argparse
import base64
import html
import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

SKIP = 77
REPO = pathlib.Path(__file__).resolve().parents[2]

PROBE = """<script>
(function () {
  var errors = [];
  window.addEventListener('error', function (event) {
    var target = event.target;
    if (target && target !== window && (target.src || target.href)) {
      errors.push('failed to load ' + String(target.src || target.href).slice(0, 60));
    } else {
      errors.push('script error: ' + event.message);
    }
  }, true);
  var consoleError = console.error;
  console.error = function () {
    errors.push('console.error: ' + Array.prototype.join.call(arguments, ' '));
    consoleError.apply(console, arguments);
  };
  window.addEventListener('load', function () {
    var images = Array.prototype.slice.call(document.images);
    var broken = images.filter(function (img) { return !(img.complete && img.naturalWidth > 0); })
                       .map(function (img) { return img.alt || String(img.src).slice(0, 40); });
    var external = performance.getEntriesByType('resource')
        .map(function (entry) { return entry.name; })
        .filter(function (name) { return !/^(data|file):/.test(name); });
    var marker = document.createElement('pre');
    marker.id = 'rnnatlas-check';
    marker.textContent = JSON.stringify({
      images: images.length, decoded: images.length - broken.length, broken: broken,
      errors: errors, external: external, title: document.title,
      figures: document.querySelectorAll('figure[data-figure]').length
    });
    document.body.appendChild(marker);
  });
})();
</script>
"""

def tiny_png() -> str:
    """A valid 1 x 1 PNG, base64."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b""))
    return base64.b64encode(png).decode("ascii")


BAD_PAGE = f"""<!DOCTYPE html><html><head><title>bad</title></head><body>
<img src="data:image/png;base64,AAAAAAAA" alt="broken">
<img src="data:image/png;base64,{tiny_png()}" alt="fine">
<script>console.error('deliberate error');</script>
</body></html>
"""

MARKER = re.compile(r'<pre id="rnnatlas-check">(.*?)</pre>', re.S)
CONSOLE_LINE = re.compile(r":CONSOLE[:(]")


def find_chromium() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if shutil.which(configured) else None
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def inject(page: str) -> str:
    head = page.find("<head>")
    if head < 0:
        raise ValueError("the page has no <head>")
    return page[: head + len("<head>")] + "\n" + PROBE + page[head + len("<head>"):]


def load_in_chromium(chromium: str, page: str, workdir: pathlib.Path,
                     screenshot: pathlib.Path | None = None) -> tuple[dict, list[str]]:
    """(the probe's marker, page console lines from Chromium's log) for ``page`` (HTML text)."""
    path = workdir / "page.html"
    path.write_text(inject(page), encoding="utf-8")
    common = [chromium, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
              "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000",
              f"--user-data-dir={workdir / 'profile'}"]
    result = subprocess.run(common + ["--dump-dom", path.as_uri()], capture_output=True, text=True,
                            timeout=180)
    if result.returncode != 0:
        raise RuntimeError(f"chromium exited with {result.returncode}: {result.stderr[-2000:]}")
    console = [line for line in result.stderr.splitlines() if CONSOLE_LINE.search(line)]
    match = MARKER.search(result.stdout)
    if match is None:
        raise RuntimeError("the page did not finish loading: no probe marker in the DOM "
                           f"({len(result.stdout)} bytes dumped)")
    if screenshot is not None:
        subprocess.run(common + ["--window-size=1280,2400", f"--screenshot={screenshot}",
                                 path.as_uri()], capture_output=True, timeout=180, check=True)
    return json.loads(html.unescape(match.group(1))), console


def problems_of(marker: dict, console: list[str], expected_images: int) -> list[str]:
    problems = []
    if marker["images"] != expected_images:
        problems.append(f"{marker['images']} <img> in the DOM, {expected_images} in the file")
    if marker["images"] == 0:
        problems.append("no image on the page")
    if marker["broken"]:
        problems.append(f"images not decoded: {marker['broken']}")
    if marker["errors"]:
        problems.append(f"errors: {marker['errors']}")
    if marker["external"]:
        problems.append(f"external resources loaded: {marker['external']}")
    if console:
        problems.append(f"console messages: {console}")
    return problems


def build_fixture_report(root: pathlib.Path) -> pathlib.Path:
    sys.path.insert(0, str(REPO / "python/tests"))
    import report_fixture  # noqa: E402 (python/tests)
    from rnnatlas import report  # noqa: E402

    out = report_fixture.make_pipeline_output(root / "run")
    report.build_report(out, formats=["png"], log=lambda message: None)
    return out / "report/index.html"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("index", nargs="?", type=pathlib.Path,
                        help="the report page (default: build the fixture report)")
    parser.add_argument("--screenshot", type=pathlib.Path, help="also save a screenshot here")
    args = parser.parse_args()

    chromium = find_chromium()
    if chromium is None:
        print("SKIPPED: Chromium not found (apt-get install chromium, or set CHROMIUM)")
        return SKIP
    with tempfile.TemporaryDirectory(prefix="rnnatlas-chromium-") as temp:
        workdir = pathlib.Path(temp)
        # 1. The probe must catch a page that is broken on purpose.
        marker, console = load_in_chromium(chromium, BAD_PAGE, workdir)
        caught = problems_of(marker, console, expected_images=2)
        deliberate = any("deliberate" in error for error in marker["errors"])
        if not (marker["broken"] == ["broken"] and deliberate):
            print(f"FAILED: the probe missed the faults of the bad page: {marker}, {console}")
            return 1
        print(f"probe check: the bad page fails as it should ({len(caught)} problems found)")

        # 2. The report.
        index = args.index or build_fixture_report(workdir)
        page = index.read_text(encoding="utf-8")
        expected = page.count("<img")
        marker, console = load_in_chromium(chromium, page, workdir, args.screenshot)
        problems = problems_of(marker, console, expected)
        if marker["title"] != "rnnatlas reproduction report":
            problems.append(f"title is {marker['title']!r}")
        if marker["figures"] < marker["images"]:
            problems.append(f"{marker['images']} images but {marker['figures']} figures")
    if problems:
        print(f"FAILED: {index}:")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    print(f"ok: {index}: loaded in {pathlib.Path(chromium).name}, {marker['decoded']}/"
          f"{marker['images']} images decoded, {marker['figures']} figures, no errors, no "
          f"external resources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
