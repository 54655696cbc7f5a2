"""The stubs describe the built module: every public name, class member and signature."""

from __future__ import annotations

import ast
import doctest
import inspect
from pathlib import Path


import qudao
from qudao import _native

STUB = Path(qudao.__file__).with_name("_native.pyi")


def stub_tree() -> ast.Module:
    return ast.parse(STUB.read_text())


def stub_names() -> dict[str, ast.stmt]:
    out: dict[str, ast.stmt] = {}
    for node in stub_tree().body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            out[node.name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = node
    return out


def module_names() -> set[str]:
    return {n for n in dir(_native) if not (n.startswith("__") and n != "__version__")}


def test_stub_files_are_installed() -> None:
    assert STUB.is_file()
    assert Path(qudao.__file__).with_name("py.typed").is_file()


def test_every_module_name_has_a_stub_and_back() -> None:
    assert module_names() == set(stub_names())


def test_class_members_match() -> None:
    for name, node in stub_names().items():
        if not isinstance(node, ast.ClassDef):
            continue
        cls = getattr(_native, name)
        stubbed = {
            n.name if isinstance(n, ast.FunctionDef) else n.target.id  # type: ignore[union-attr]
            for n in node.body
            if isinstance(n, ast.FunctionDef)
            or (isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name))
        }
        if issubclass(cls, BaseException):
            own = {k for k in vars(cls) if not k.startswith("__")}
        else:
            own = {k for k in vars(cls) if not k.startswith("_") or k in ("__len__", "__arrow_c_stream__")}
        assert own == stubbed, name


def _params(sig: inspect.Signature) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in sig.parameters.values() if p.name != "self"]


def test_function_signatures_match() -> None:
    ns: dict[str, object] = {}
    src = "from __future__ import annotations\nimport datetime, decimal, os\n"
    src += "from typing import Any, Dict, List, Mapping, Optional, Union, final\n"
    for node in stub_tree().body:
        if isinstance(node, ast.FunctionDef):
            src += ast.unparse(node) + "\n"
    exec(compile(src, str(STUB), "exec"), ns)  # noqa: S102 - our own stub
    for node in stub_tree().body:
        if isinstance(node, ast.FunctionDef):
            real = inspect.signature(getattr(_native, node.name))
            stub = inspect.signature(ns[node.name])  # type: ignore[arg-type]
            assert _params(real) == _params(stub), node.name


def test_facade_exports() -> None:
    for name in qudao.__all__:
        assert hasattr(qudao, name), name
    assert qudao.__version__ == _native.__version__


def test_docstring_examples_run() -> None:
    result = doctest.testmod(qudao, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0


README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_examples_run() -> None:
    result = doctest.testfile(str(README), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
