"""The request bodies' schemas are as exact as the checks behind them (invoicing.api.request_schemas):
a body the document accepts, the API accepts, and the rules the document states are the validators'.

Each case is a body checked both ways: by the OpenAPI document's schema (jsonschema, with the
document's components) and by the API's own request model."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from babel.numbers import list_currencies
from pydantic import BaseModel, ValidationError

from invoicing.api.billing_runs import ApproveBody, BillingRunCreate
from invoicing.api.catalog_requests import CouponCreate, PriceCreate
from invoicing.api.command import refuse_controls
from invoicing.api.payments import PaymentApply
from invoicing.api.requests import CustomerCreate, InvoiceCreate, LineIn
from invoicing.api.subscriptions import ItemUpdate, SubscriptionCreate
from tests.unit.test_openapi_document import document


def by_document(name: str, body: dict[str, Any]) -> bool:
    schemas = document()["components"]["schemas"]
    # The document's refs (`#/components/schemas/X`) resolve against this root.
    schema = {**schemas[name], "components": {"schemas": schemas}}
    return jsonschema.Draft202012Validator(schema).is_valid(body)


def by_api(model: type[BaseModel], body: dict[str, Any]) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


CASES: list[tuple[type[BaseModel], str, dict[str, Any], bool]] = [
    (CustomerCreate, "CustomerCreate", {"name": "Acme AB"}, True),
    (CustomerCreate, "CustomerCreate", {"name": "Acme\u202eAB"}, False),  # a bidirectional override
    (CustomerCreate, "CustomerCreate", {"name": "Acme\nAB"}, False),  # a line break in a one-line text
    (CustomerCreate, "CustomerCreate", {"name": "Acme\x07"}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "metadata": {"note": "two\nlines"}}, True),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "metadata": {"no\x00te": "x"}}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "currency": "sek"}, True),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "currency": "000"}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "currency": "ABC"}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "locale": "sv"}, True),
    # a SEPA direct debit mandate (BG-19): both parts, the reference in the SEPA character set
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "direct_debit": {
        "mandate_reference": "MNDT-2026-0042", "iban": "DE89370400440532013000"}}, True),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "direct_debit": {
        "mandate_reference": "MNDT 42", "iban": "DE89370400440532013000"}}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "direct_debit": {"iban": "DE89370400440532013000"}}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "direct_debit": {"mandate_reference": "M" * 36,
                                                                         "iban": "DE89370400440532013000"}}, False),
    # a payment card (BG-18): its last 4 to 6 digits only, never a full number
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "payment_card": {"last_digits": "4242"}}, True),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "payment_card": {
        "last_digits": "424242", "holder_name": "Jana Vogt", "kind": "debit"}}, True),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "payment_card": {"last_digits": "4242424242424242"}}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "payment_card": {"last_digits": "42a2"}}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "payment_card": {"last_digits": "4242", "kind": "visa"}},
     False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "payment_card": {"holder_name": "Jana Vogt"}}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "locale": "fr"}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "email": "billing@example.com"}, True),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "email": "not an address"}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "address": {"line1": "Gatan 1", "city": "Lund",
                                                                    "country": "XX"}}, False),
    (CustomerCreate, "CustomerCreate", {"name": "Acme", "address": {"line1": "Gatan 1", "city": "Lund",
                                                                    "country": "se"}}, True),
    (SubscriptionCreate, "SubscriptionCreate", {"customer": "cus_1", "items": [{"price": "price_1"}],
                                                "trial_end": "2027-01-01T00:00:00Z", "trial_period_days": 3}, False),
    (SubscriptionCreate, "SubscriptionCreate", {"customer": "cus_1", "items": [{"price": "price_1"}],
                                                "trial_end": None, "trial_period_days": 3}, True),
    (BillingRunCreate, "BillingRunCreate", {"segment": "smb", "customer": "cus_1"}, False),
    (BillingRunCreate, "BillingRunCreate", {"segment": "smb"}, True),
    (ApproveBody, "ApproveBody", {}, False),
    (ApproveBody, "ApproveBody", {"all": True}, True),
    (ApproveBody, "ApproveBody", {"all": True, "invoices": ["in_1"]}, False),
    (ItemUpdate, "ItemUpdate", {}, False),
    (ItemUpdate, "ItemUpdate", {"quantity": 2}, True),
    (ItemUpdate, "ItemUpdate", {"deleted": True, "quantity": 2}, False),
    (LineIn, "LineIn", {"description": "x"}, False),  # no price at all
    (LineIn, "LineIn", {"description": "x", "unit_amount": 100, "unit_amount_decimal": "100"}, False),
    (LineIn, "LineIn", {"description": "x", "unit_amount": 100, "supply_date": "2026-01-01",
                        "period": {"start": "2026-01-01", "end": "2026-01-31"}}, False),
    (LineIn, "LineIn", {"description": "x", "unit_amount": 100}, True),
    # a gross price (BT-148) less a price discount (BT-147) instead of the unit price, or beside it
    (LineIn, "LineIn", {"description": "x", "gross_unit_amount": 100}, True),
    (LineIn, "LineIn", {"description": "x", "gross_unit_amount_decimal": "100.5", "price_discount": 10}, True),
    (LineIn, "LineIn", {"description": "x", "unit_amount": 90, "gross_unit_amount": 100, "price_discount": 10}, True),
    (LineIn, "LineIn", {"description": "x", "unit_amount": 90, "price_discount": 10}, False),  # off no gross price
    (LineIn, "LineIn", {"description": "x", "price_discount": 10}, False),
    (LineIn, "LineIn", {"description": "x", "gross_unit_amount": 100, "gross_unit_amount_decimal": "100"}, False),
    (LineIn, "LineIn", {"description": "x", "gross_unit_amount": 100, "price_discount": 1,
                        "price_discount_decimal": "1"}, False),
    (InvoiceCreate, "InvoiceCreate", {"customer": "cus_1", "type_code": "384"}, False),  # corrects nothing
    (InvoiceCreate, "InvoiceCreate", {"customer": "cus_1", "type_code": "380"}, True),
    (PriceCreate, "PriceCreate", {"product": "prod_1", "currency": "EUR"}, False),  # per unit, no amount
    (PriceCreate, "PriceCreate", {"product": "prod_1", "currency": "EUR", "unit_amount": 100}, True),
    (CouponCreate, "CouponCreate", {"percent_off": 10}, True),
    (PaymentApply, "PaymentApply", {"invoices": ["in_1", "in_2"]}, True),
    (CouponCreate, "CouponCreate", {"amount_off": 100, "currency": "EUR",
                                    "currency_options": {"usd": {"amount_off": 0}}}, False),  # at least 1
    (CouponCreate, "CouponCreate", {"amount_off": 100, "currency": "EUR",
                                    "currency_options": {"usd": {"amount_off": 110}}}, True),
    (CouponCreate, "CouponCreate", {"percent_off": "12.5"}, True),
    (CouponCreate, "CouponCreate", {"percent_off": "12.125"}, False),  # two decimal places at most
    (CouponCreate, "CouponCreate", {"percent_off": "0"}, False),  # more than 0
    (CouponCreate, "CouponCreate", {"percent_off": "100.00"}, True),
    (CouponCreate, "CouponCreate", {"percent_off": "100.01"}, False),
    (CouponCreate, "CouponCreate", {"percent_off": 2.5}, False),  # no JSON float
    (CouponCreate, "CouponCreate", {"percent_off": "ten"}, False),
    (LineIn, "LineIn", {"description": "x", "unit_amount": 100, "quantity": "-2.5"}, True),  # a return
    (LineIn, "LineIn", {"description": "x", "unit_amount": 100, "quantity": "1.1234567"}, False),
]
# Bodies the models take and the domain refuses (a 400 all the same: "exactly one of percent_off or
# amount_off", "an amount_off rule needs its currency", "a rule needs a condition"): the document
# states the rules, and a body that keeps them fits it.
DOMAIN_RULES: list[tuple[str, dict[str, Any], bool]] = [
    ("CouponCreate", {}, False),
    ("CouponCreate", {"percent_off": 10, "amount_off": 100, "currency": "EUR"}, False),
    ("CouponCreate", {"amount_off": 100}, False),
    ("CouponCreate", {"amount_off": 100, "currency": "EUR"}, True),
    ("CouponCreate", {"percent_off": 10, "currency": "EUR"}, False),
    ("CouponCreate", {"percent_off": 10, "duration": "repeating"}, False),
    ("CouponCreate", {"percent_off": 10, "duration": "repeating", "duration_in_months": 3}, True),
    ("PaymentApply", {"invoices": ["in_1", "in_1"]}, False),  # the service refuses an invoice named twice
    ("DiscountRuleCreate", {"name": "Volume", "percent_off": 5}, False),  # no condition
    ("DiscountRuleCreate", {"name": "Volume", "percent_off": 5, "min_quantity": 10}, True),
    ("DiscountRuleCreate", {"name": "Volume", "percent_off": 5, "min_quantity": 10, "currency": "EUR"}, False),
]


@pytest.mark.parametrize(("model", "name", "body", "valid"), CASES,
                         ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_the_document_and_the_api_agree_on_a_body(model: type[BaseModel], name: str, body: dict[str, Any],
                                                  valid: bool) -> None:
    assert by_document(name, body) is valid
    assert by_api(model, body) is valid


@pytest.mark.parametrize(("name", "body", "valid"), DOMAIN_RULES)
def test_the_document_states_the_domain_s_rules(name: str, body: dict[str, Any], valid: bool) -> None:
    assert by_document(name, body) is valid


def test_currencies_are_the_validators_own_list() -> None:
    codes = set(document()["components"]["schemas"]["CurrencyCode"]["enum"])
    assert {c for c in codes if c.isupper()} == set(list_currencies())


def test_every_free_string_of_a_body_states_what_no_text_may_hold() -> None:
    # A sample of free strings the document offers: the pattern refuses exactly the characters
    # `refuse_controls` refuses (and, being stripped, no whitespace at either end).
    schemas = document()["components"]["schemas"]
    name = schemas["CustomerCreate"]["properties"]["name"]
    validator = jsonschema.Draft202012Validator(name)
    for text in ["Acme AB", "Åkesson & Söner", "株式会社", "a\tb", "a\u2066b", "a\x9fb", "a\ufffeb"]:
        try:
            refuse_controls(text)
            accepted = True
        except ValueError:
            accepted = False
        assert validator.is_valid(text) is accepted, repr(text)
