"""What Lambda runs must ship with it: every third-party module the `invoicing` package imports
is pinned in a layer's requirements (or is part of the Lambda Python runtime)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "layers" / "invoicing" / "invoicing"
# Modules whose distribution name differs from the module name.
DISTRIBUTIONS = {"aws_lambda_powertools": "aws-lambda-powertools", "stdnum": "python-stdnum", "jinja2": "jinja2",
                 "mt940": "mt-940"}
PROVIDED = {"boto3", "botocore"}  # part of the Lambda Python runtime
TRANSITIVE = {"markupsafe": "jinja2"}  # installed by a pinned package
DEV_ONLY = {PACKAGE / "documents" / "einvoice" / "validation.py"}  # the validator runs in tests and CI


def pinned() -> set[str]:
    names = set()
    for requirements in (ROOT / "layers" / "invoicing" / "requirements.txt",
                         ROOT / "layers" / "pdf" / "requirements.txt"):
        for line in requirements.read_text().splitlines():
            match = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==", line.strip())
            if match:
                names.add(match.group(1).lower())
    return names


def third_party_imports() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        if path in DEV_ONLY:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 else [])
            for name in names:
                top = name.split(".")[0]
                if top != "invoicing" and top not in sys.stdlib_module_names:
                    found.setdefault(top, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_imported_package_is_pinned_for_lambda() -> None:
    available = pinned()
    missing = {
        module: sorted(paths)
        for module, paths in third_party_imports().items()
        if module not in PROVIDED
        and DISTRIBUTIONS.get(module, module).lower() not in available
        and TRANSITIVE.get(module, "") not in available
    }
    assert missing == {}
