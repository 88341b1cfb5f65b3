"""Writes the parts of rnnatlas/_core.pyi that come from an options schema, from the built module.

A class whose fields are described by a C++ schema (rnnatlas/schema.h) has its field list in the
stub between two marker comments; this script rewrites that block from ``Class.schema()``, so the
stub says what the library checks. python/tests/test_stubs.py fails when the stub is not current.

Usage: PYTHONPATH=build/release/python /usr/bin/python3 python/generate_stubs.py [--check]
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import textwrap

STUB = pathlib.Path(__file__).resolve().parent / "rnnatlas" / "_core.pyi"
# Each class with a schema, and whether Python sees only its stored fields (TrainOptions: the
# callbacks and checkpoint_every are set through train()) or all of them. Nested fields (with a
# '.' in their path) belong to the nested class's stub.
SCHEMA_CLASSES = {
    "TrainOptions": "stored",
    "NewtonOptions": "all",
    "FixedPointOptions": "all",
    "LinearizationOptions": "all",
    "TransitionOptions": "all",
    "ShootingOptions": "all",
    "LimitCycleOptions": "all",
    "AnalysisOptions": "all",
    "SmacofOptions": "all",
    "CcaOptions": "all",
    "SvccaOptions": "all",
    "CkaOptions": "all",
    "ShapeOptions": "all",
    "DsaAlignmentOptions": "all",
    "DsaOptions": "all",
}
INDENT = "    "


def begin_marker(cls: str) -> str:
    return f"{INDENT}# Generated from {cls}.schema() by python/generate_stubs.py: edit the schema.\n"


def end_marker(cls: str) -> str:
    return f"{INDENT}# End of the fields generated from {cls}.schema().\n"


def docstring(field: dict) -> str:
    """'Help, rule (default value).' as a docstring, wrapped at 100 columns."""
    text = field["help"][0].upper() + field["help"][1:]
    if field["rule"]:
        text += f"; {field['rule']}"
    text += f" (default {field['default']!r})."
    if len(INDENT) + len(text) + 6 <= 100:
        return f'{INDENT}"""{text}"""\n'
    body = textwrap.fill(text, width=100, initial_indent=INDENT, subsequent_indent=INDENT)
    return f'{INDENT}"""\n{body}\n{INDENT}"""\n'


def fields_block(schema: list[dict], which: str) -> str:
    """The stub lines of the class's own fields that Python sees (`which`: "stored" or "all")."""
    return "".join(f"{INDENT}{f['name']}: {f['type']}\n" + docstring(f) for f in schema
                   if "." not in f["name"] and (which == "all" or f["stored"]))


def generate(text: str, core) -> str:
    """`text` (the stub) with every schema class's block rewritten from `core`."""
    for cls, which in SCHEMA_CLASSES.items():
        begin, end = begin_marker(cls), end_marker(cls)
        if begin not in text or end not in text:
            raise ValueError(f"_core.pyi: the markers of {cls} are missing; expected\n{begin}{end}")
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        text = head + begin + fields_block(getattr(core, cls).schema(), which) + end + tail
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true",
                        help="only report whether the stub is current (exit 1 if not)")
    args = parser.parse_args()
    # The built package (on PYTHONPATH), not the sources beside this script.
    here = STUB.parent.parent
    sys.path = [p for p in sys.path if pathlib.Path(p or ".").resolve() != here]
    from rnnatlas import _core

    text = STUB.read_text()
    current = generate(text, _core)
    if args.check:
        if current != text:
            print(f"{STUB} is not current: run python/generate_stubs.py", file=sys.stderr)
            return 1
        return 0
    STUB.write_text(current)
    return 0


if __name__ == "__main__":
    sys.exit(main())
