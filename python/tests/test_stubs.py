"""_core.pyi must describe exactly what rnnatlas._core exports, so that the stubs cannot rot."""

import ast
import importlib.util
import pathlib

import rnnatlas
from rnnatlas import _core

STUB = pathlib.Path(_core.__file__).with_name("_core.pyi")


def stub_names():
    """{name: None for a function/variable, or {member names} for a class} defined in the stub."""
    names = {}
    for node in ast.parse(STUB.read_text()).body:
        if isinstance(node, ast.ClassDef):
            members = set()
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members.add(item.name)
                elif isinstance(item, ast.AnnAssign):
                    members.add(item.target.id)
            names[node.name] = members
        elif isinstance(node, ast.FunctionDef):
            names[node.name] = None
        elif isinstance(node, ast.AnnAssign):
            names[node.target.id] = None
    return names


def public(names):
    return {n for n in names if not n.startswith("_") or n in ("__init__", "__version__")}


def test_stub_lists_every_export_and_nothing_else():
    assert public(stub_names()) == public(dir(_core))


def test_stub_lists_every_class_member():
    for name, members in stub_names().items():
        if members is None or issubclass(getattr(_core, name), Exception):
            continue
        # pybind11 gives every class an __init__ (raising TypeError when none is bound).
        assert public(members) - {"__init__"} == public(dir(getattr(_core, name))) - {"__init__"}, name


def test_package_reexports_its_all():
    for name in rnnatlas.__all__:
        assert hasattr(rnnatlas, name), name


def test_schema_fields_in_the_stub_are_current():
    # The fields of a class with a C++ schema are generated into the stub; this fails when the
    # schema changed and python/generate_stubs.py was not run.
    spec = importlib.util.spec_from_file_location(
        "generate_stubs", pathlib.Path(__file__).resolve().parents[1] / "generate_stubs.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    text = generator.STUB.read_text()
    assert generator.generate(text, _core) == text, "run python/generate_stubs.py"
    stored = {f["name"] for f in _core.TrainOptions.schema() if f["stored"]}
    assert "gradient_clip_norm" in stored and stored <= stub_names()["TrainOptions"]
