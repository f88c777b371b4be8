"""The import layering, as docs/architecture.md draws it: the domain imports no outer layer and no
AWS; services reach storage and the outside world only through their ports; handlers are thin and
reach everything through their composition root."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "invoicing" / "invoicing"
AWS = ("boto3", "botocore")

# layer -> the module prefixes it must never import (at any depth of the file, lazily or not)
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "domain": ("invoicing.services", "invoicing.adapters", "invoicing.api", "invoicing.documents",
               "invoicing.bootstrap", "invoicing.config", "aws_lambda_powertools", *AWS),
    "services": ("invoicing.adapters", "invoicing.api", "invoicing.bootstrap", "invoicing.config", *AWS),
    "documents": ("invoicing.services", "invoicing.adapters", "invoicing.api", "invoicing.bootstrap", *AWS),
    "api": ("invoicing.adapters", "invoicing.bootstrap", *AWS),
    "adapters": ("invoicing.api", "invoicing.bootstrap"),
}
HANDLER_MAY_IMPORT = ("invoicing.bootstrap", "invoicing.api", "aws_lambda_powertools", "typing", "json")


def imports_of(source: str) -> set[str]:
    """Every module a source file imports, top-level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def violations(source: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in imports_of(source) if any(m == f or m.startswith(f + ".") for f in forbidden))


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_each_layer_imports_only_what_it_may(layer: str) -> None:
    broken = {
        str(path.relative_to(PACKAGE)): bad
        for path in sorted((PACKAGE / layer).rglob("*.py"))
        if (bad := violations(path.read_text(), FORBIDDEN[layer]))
    }
    assert broken == {}


@pytest.mark.parametrize("handler", sorted(p.parent.name for p in (ROOT / "functions").glob("*/app.py")))
def test_handlers_import_only_their_composition_root_the_api_and_powertools(handler: str) -> None:
    imported = imports_of((ROOT / "functions" / handler / "app.py").read_text())
    others = sorted(m for m in imported if not m.startswith(HANDLER_MAY_IMPORT))
    assert others == []


def test_the_check_catches_a_domain_module_importing_boto3() -> None:
    """The rule itself can fail: a domain module that imports boto3, even lazily, is caught."""
    source = "from decimal import Decimal\n\ndef total():\n    import boto3\n    return boto3\n"
    assert violations(source, FORBIDDEN["domain"]) == ["boto3"]
    assert violations("from invoicing.adapters.dynamodb import keys\n", FORBIDDEN["services"]) == [
        "invoicing.adapters.dynamodb"]
