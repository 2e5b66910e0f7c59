"""The walls between the parts, read from the source: who may import whom."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("features", "models", "training", "serving")


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return found


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


FORBIDDEN = {
    "features": {"mlflow", "bentoml", "training", "serving", "models", "pyspark"},
    "models": {"training", "serving", "bentoml"},
    "training": {"serving", "bentoml"},
    "serving": {"training"},
}


@pytest.mark.parametrize("package", PACKAGES)
def test_package_imports_only_what_its_wall_allows(package):
    offending = {str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[package])
                 for path in _modules(package)}
    assert {path: names for path, names in offending.items() if names} == {}


def test_mlflow_sits_behind_one_adapter():
    users = sorted(str(path.relative_to(ROOT)) for package in PACKAGES for path in _modules(package)
                   if "mlflow" in _imports(path))
    assert users == ["models/registry.py"]


def test_bentoml_only_in_serving():
    users = sorted(str(path.relative_to(ROOT)) for package in ("features", "models", "training", "stayout")
                   for path in _modules(package) if "bentoml" in _imports(path))
    assert users == []
