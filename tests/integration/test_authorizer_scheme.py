"""The authorizer function: the Bearer scheme in any case (RFC 7235), and the key in no log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import LambdaContext, sample_event


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        """Everything a log line of these records could show: message, arguments and extra fields."""
        return "\n".join(f"{record.getMessage()} {record.__dict__!r}" for record in self.records)


@pytest.fixture
def logged(stack: HandlerStack, caplog: pytest.LogCaptureFixture) -> Iterator[Records]:
    """Records of the authorizer's Powertools logger (it does not propagate) and, through caplog,
    of every other logger (boto3, Powertools internals), all at DEBUG."""
    records = Records()
    powertools_logger = logging.getLogger(stack.authorizer.logger.name)
    level = powertools_logger.level
    powertools_logger.addHandler(records)
    powertools_logger.setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        yield records
    finally:
        powertools_logger.removeHandler(records)
        powertools_logger.setLevel(level)


def authorize(stack: HandlerStack, token: str) -> dict:
    event = sample_event("authorizer/token.json")
    event["authorizationToken"] = token
    return stack.authorizer.lambda_handler(event, LambdaContext())


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEARER"])
def test_the_bearer_scheme_is_accepted_in_any_case(stack: HandlerStack, scheme: str) -> None:
    policy = authorize(stack, f"{scheme} {stack.api_key}")
    assert policy["principalId"] == stack.account_id
    assert policy["context"] == {"account_id": stack.account_id}
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"


@pytest.mark.parametrize("token", ["Basic {key}", "Bearerx {key}", "Bearer{key}", "{key}", "Bearer ",
                                   "bearer sk_live_" + "x" * 43])
def test_other_schemes_and_unknown_keys_are_refused(stack: HandlerStack, token: str) -> None:
    with pytest.raises(Exception, match="Unauthorized"):
        authorize(stack, token.format(key=stack.api_key))


def test_the_presented_key_is_in_no_log_line(stack: HandlerStack, logged: Records,
                                              caplog: pytest.LogCaptureFixture) -> None:
    wrong_key = "sk_live_" + "w" * 43
    authorize(stack, f"bearer {stack.api_key}")
    for token in (f"Bearer {wrong_key}", f"Basic {stack.api_key}", f"BEARER {stack.api_key}x"):
        with pytest.raises(Exception, match="Unauthorized"):
            authorize(stack, token)

    assert "api key refused" in logged.text()  # the capture works: the refusals were logged
    everything = logged.text() + caplog.text + "\n".join(repr(r.__dict__) for r in caplog.records)
    for secret in (stack.api_key, stack.api_key.removeprefix("sk_test_"), wrong_key):
        assert secret not in everything
