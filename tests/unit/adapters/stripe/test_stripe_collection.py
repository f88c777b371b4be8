"""Dunning's charge retries and the hosted page's pay button on the Stripe adapter, against recorded
exchanges replayed locally (no network): the request Stripe gets (the customer's saved method, the
dunning step's idempotency key, the page to come back to) and what the services make of its answer.
The secret key is read from SSM (moto) through Powertools Parameters, as the functions read it."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
import stripe
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from invoicing.adapters.checkout import BankTransferOnly
from invoicing.adapters.stripe_provider import StripeProvider, client_for_key
from invoicing.bootstrap.hosted import checkout_links
from invoicing.bootstrap.providers import payment_provider
from invoicing.config import HostedPageSettings
from invoicing.domain.invoice import Invoice
from invoicing.services.collection import ProviderCharger, ProviderCheckout
from invoicing.services.commands import Changes
from invoicing.services.hosted import HostedPageService
from tests.unit.adapters.stripe.replay import exchange, replaying
from tests.unit.services.conftest import Services
from tests.unit.services.fakes import FakeDocuments, FakeIds
from tests.unit.services.test_services import draft

BASE = "https://billing.example"


def issued(services: Services, collection_method: str = "charge_automatically", **customer: Any) -> Invoice:
    if customer:
        services.customers.update(services.seller.id, services.buyer.id, Changes(customer))
    invoice_id = draft(services, 10_000, collection_method=collection_method)
    invoice = services.invoices.finalize(services.seller.id, invoice_id).invoice
    assert (invoice.amount_remaining, invoice.currency) == (12_500, "EUR")  # what the recorded exchanges charge
    return invoice


def values(invoice: Invoice, **more: str) -> dict[str, str]:
    return {"account_id": invoice.account_id, "invoice_id": invoice.id, "invoice_number": invoice.number or "",
            **more}


def test_a_charge_retry_charges_the_customers_saved_method_at_stripe_under_the_steps_key(services: Services) -> None:
    invoice = issued(services, default_payment_method="pm_1SXn4bLkdIwHu7ixCard0001",
                     stripe_customer_id="cus_TUa8mG2cQpV1bC")
    recorded = exchange("create_payment_intent", values(invoice))
    with replaying(recorded) as (replay, client):
        result = ProviderCharger(services.uow, StripeProvider(client)).charge(
            invoice, f"dunning:{invoice.id}:charge+1")
    (sent,) = replay.seen
    assert sent.form == recorded["request"]["form"]
    assert sent.headers["idempotency-key"] == f"dunning:{invoice.id}:charge+1"
    assert (result.status, result.payment_id, result.failure_code) == ("succeeded", "pi_3SXn5cLkdIwHu7ix0Zx4aB12", None)


@pytest.mark.parametrize(("fixture", "method", "code"), [
    ("card_declined", "pm_card_chargeDeclined", "card_declined"),
    ("authentication_required", "pm_1SXn4bLkdIwHu7ixCard3DS02", "authentication_required"),
])
def test_a_declined_retry_is_a_failed_step_with_stripes_code(services: Services, fixture: str, method: str,
                                                              code: str) -> None:
    customer = {"default_payment_method": method}
    if fixture == "authentication_required":
        customer["stripe_customer_id"] = "cus_TUa8mG2cQpV1bC"
    invoice = issued(services, **customer)
    recorded = exchange(fixture, values(invoice))
    with replaying(recorded) as (replay, client):
        result = ProviderCharger(services.uow, StripeProvider(client)).charge(invoice, "dunning:k")
    assert replay.seen[0].form == recorded["request"]["form"]
    assert (result.status, result.failure_code) == ("failed", code)
    assert result.payment_id == recorded["response"]["body"]["error"]["payment_intent"]["id"]


def test_the_pay_button_opens_a_checkout_session_that_comes_back_to_the_page(services: Services) -> None:
    invoice = issued(services, "send_invoice")
    documents = FakeDocuments()
    with replaying() as (replay, client):
        pages = HostedPageService(services.uow, services.clock, FakeIds(), documents,
                                  ProviderCheckout(StripeProvider(client), BASE), BASE, online_payments=True)
        token = pages.rotate(services.seller.id, invoice.id)
        current = services.invoices.get(services.seller.id, invoice.id).invoice
        page = f"{BASE}/i/{token}"
        recorded = exchange("create_checkout_session_for_hosted_page", values(current, page_url=page))
        replay.exchanges.append(recorded)
        url = pages.checkout(token)
    (sent,) = replay.seen
    assert sent.form == recorded["request"]["form"]
    assert sent.headers["idempotency-key"] == f"checkout:{invoice.id}:v{current.version}:12500"
    assert url == "https://checkout.stripe.com/c/pay/cs_test_a1SXn7eLkdIwHu7ixHosted02"
    assert pages.page(token).can_pay_online


def test_the_key_is_read_from_ssm_through_powertools_parameters(monkeypatch: pytest.MonkeyPatch,
                                                                services: Services) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    invoice = issued(services, default_payment_method="pm_1SXn4bLkdIwHu7ixCard0001",
                     stripe_customer_id="cus_TUa8mG2cQpV1bC")
    with mock_aws(), replaying(exchange("create_payment_intent", values(invoice))) as (replay, _):
        boto3.client("ssm").put_parameter(Name="/invoicing/stripe/api-key", Type="SecureString",
                                          Value="sk_test_from_ssm")
        provider = StripeProvider(client_for_key(
            lambda: str(parameters.get_parameter("/invoicing/stripe/api-key", decrypt=True, force_fetch=True)),
            base_addresses={"api": replay.url}, http_client=stripe.UrllibClient(), max_network_retries=0))
        ProviderCharger(services.uow, provider).charge(invoice, "dunning:k")
    assert replay.seen[0].headers["authorization"] == "Bearer sk_test_from_ssm"


def test_the_provider_is_chosen_by_configuration() -> None:
    assert payment_provider("none", "") is None
    assert isinstance(payment_provider("stripe", "/invoicing/stripe/api-key"), StripeProvider)
    with pytest.raises(RuntimeError, match="STRIPE_API_KEY_PARAMETER"):
        payment_provider("stripe", "")
    with pytest.raises(RuntimeError, match="PAYMENT_PROVIDER"):
        payment_provider("paypal", "")
    settings = HostedPageSettings(table_name="t", documents_bucket="d", public_base_url=BASE, payment_provider="none",
                                  stripe_api_key_parameter="")
    assert isinstance(checkout_links(settings), BankTransferOnly)
