"""`python -m rnnatlas.report OUT`: writes OUT/report (see rnnatlas.report). Exit 0 on success,
1 if the report cannot be built (OUT missing, a file cannot be written), 2 on a usage error."""

from __future__ import annotations

import argparse
import sys

from . import DEFAULT_TASKS, FORMATS, build_report


def _list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnatlas.report",
        description="Write OUT/report (index.html, results.json, figures/) from a pipeline run.",
        epilog="Tasks whose directory is absent and stages that have not run are reported as "
               "'not run'. See docs/report.md.",
    )
    parser.add_argument("out", metavar="OUT", help="the --out directory of `rnnatlas reproduce`")
    parser.add_argument("--tasks", type=_list, default=",".join(DEFAULT_TASKS),
                        help="comma-separated task directories (default: %(default)s)")
    parser.add_argument("--formats", type=_list, default=",".join(FORMATS),
                        help="figure files to write, comma-separated, from png,pdf "
                             "(default: %(default)s)")
    args = parser.parse_args(argv)
    if not args.tasks:
        parser.error("--tasks: give at least one task, e.g. --tasks flip_flop")
    unknown = [f for f in args.formats if f not in FORMATS]
    if unknown or not args.formats:
        parser.error(f"--formats {','.join(args.formats)}: allowed: {', '.join(FORMATS)}")
    try:
        build_report(args.out, args.tasks, args.formats)
    except OSError as error:
        print(f"rnnatlas report: error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
