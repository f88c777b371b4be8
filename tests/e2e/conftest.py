"""The real template.yaml running on the local runtime: moto's server, the API emulator, the pump.

Moto's state is global to a process, so one stack serves the package; each test opens its own
seller account (its own API key and numbering series), so tests stay independent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from local.client import ApiClient, bootstrap_account
from local.stack import LocalRuntime

ROOT = Path(__file__).resolve().parents[2]
SELLER = {
    "name": "Nordlys Studio AB", "email": "billing@nordlys.example",
    "address": {"line1": "Sveavägen 44", "city": "Stockholm", "postal_code": "111 34", "country": "SE"},
    "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}],
    "iban": "SE4550000000058398257466", "bic": "ESSESESS",
}


@pytest.fixture(scope="package")
def mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the send worker writes every mail as an `.eml` file (the template's MailCopyDir)."""
    return tmp_path_factory.mktemp("mail")


@pytest.fixture(scope="package")
def stack(mail_dir: Path) -> Iterator[LocalRuntime]:
    parameters = {"LogLevel": "WARNING", "MailCopyDir": str(mail_dir)}
    with LocalRuntime(template=ROOT / "template.yaml", parameters=parameters, retry_delay=0.05) as running:
        yield running


@pytest.fixture
def api(stack: LocalRuntime) -> ApiClient:
    """A fresh seller account with its own API key, set up through the API."""
    client = ApiClient(stack.api_url, bootstrap_account(stack, SELLER["name"]))
    client.post("/account", SELLER)
    return client
