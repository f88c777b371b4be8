"""The authorizer's cold start pays for its key lookup only: importing it loads no pydantic, no
invoice domain, no services and no DynamoDB repositories (bench/README.md, "Cold starts"; what each
handler may import at all is tests/unit/test_layering.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.integration.lambdas import ROOT

APP = ROOT / "functions" / "authorizer" / "app.py"
HEAVY = ("pydantic", "invoicing.domain", "invoicing.services", "invoicing.adapters.dynamodb", "jinja2", "weasyprint")


def test_importing_the_authorizer_loads_nothing_heavy() -> None:
    code = (
        "import importlib, json, sys\n"
        f"sys.path[:0] = [{str(APP.parent)!r}, {str(ROOT / 'layers' / 'invoicing')!r}]\n"
        "importlib.import_module('app')\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTHON"))}
    env.update(TABLE_NAME="invoicing", AWS_DEFAULT_REGION="eu-west-1", AWS_ACCESS_KEY_ID="testing",
               AWS_SECRET_ACCESS_KEY="testing", AWS_ENDPOINT_URL="http://127.0.0.1:9",  # nothing is called
               POWERTOOLS_SERVICE_NAME="invoicing-authorizer")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    loaded = json.loads(done.stdout)
    assert "invoicing.adapters.api_keys" in loaded
    assert [name for name in loaded if name.startswith(HEAVY)] == []
