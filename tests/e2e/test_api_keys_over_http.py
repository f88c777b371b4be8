"""API keys on the real template: local keys are test keys, and a revoked key stops working within the
authorizer cache time that template.yaml sets and docs/operations.md states."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from cfnlint.decode import cfn_yaml

from invoicing.adapters.api_keys import revoke_api_key
from local.client import ApiClient, bootstrap_account
from local.dev import create_local_api_key
from local.stack import LocalRuntime

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def reauthorize_every() -> int:
    api = cfn_yaml.load(str(ROOT / "template.yaml"))["Resources"]["Api"]["Properties"]
    return int(api["Auth"]["Authorizers"]["ApiKeyAuthorizer"]["Identity"]["ReauthorizeEvery"])


def test_the_documented_cache_time_is_the_templates() -> None:
    seconds = reauthorize_every()
    operations = (ROOT / "docs" / "operations.md").read_text()
    assert re.search(rf"caches its decision per key for {seconds} s\b", operations)


def test_local_keys_are_test_keys_and_work(stack: LocalRuntime) -> None:
    for key in (create_local_api_key(stack), bootstrap_account(stack, "Test keys AB")):
        assert re.fullmatch(r"sk_test_[A-Za-z0-9_-]{43}", key)
        status, _ = ApiClient(stack.api_url, key).request("GET", "/account")
        assert status == 200


def test_a_revoked_key_is_refused_once_the_authorizer_cache_expires(stack: LocalRuntime) -> None:
    key = bootstrap_account(stack, "Revoking AB")
    client = ApiClient(stack.api_url, key)
    assert client.request("GET", "/account")[0] == 200  # the decision is now cached

    table = stack.resources.name("InvoicingTable")
    assert revoke_api_key(stack.boto3_client("dynamodb"), table, key) is True
    assert revoke_api_key(stack.boto3_client("dynamodb"), table, key) is False

    # The authorizer itself refuses it at once: it caches nothing and reads the table consistently...
    event = {"type": "TOKEN", "authorizationToken": f"Bearer {key}",
             "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:abcdef1234/v1/GET/account"}
    with pytest.raises(Exception, match="Unauthorized"):
        stack.invoke("AuthorizerFunction", event)
    # ...while API Gateway answers from its cache until ReauthorizeEvery has passed, as on AWS.
    assert client.request("GET", "/account")[0] == 200
    stack.advance_clock(timedelta(seconds=reauthorize_every() + 1))
    status, body = client.request("GET", "/account")
    assert status == 401 and body["error"]["code"] == "unauthorized"
