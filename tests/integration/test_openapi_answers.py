"""Every answer of a real flow through the API function is what the OpenAPI document declares: its
status is declared for the operation, and its body is valid against the declared schema (the view
models, with `additionalProperties: false`, and `ErrorBody`). schemathesis (tests/e2e) fuzzes every
operation, mostly into its errors; this walks each one through its successes, with objects a
billing engineer would make, so a view that drifts from its model fails here, naming the field."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from invoicing.adapters.clock import install
from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import LambdaContext, api_event, load_function

NOW = datetime(2026, 11, 14, 9, 0, tzinfo=UTC)


class At:
    def now(self) -> datetime:
        return NOW


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> None:
    previous = install(At())
    request.addfinalizer(lambda: install(previous))


class Contract:
    """The document the docs function serves, and a client that checks each answer against it."""

    def __init__(self, stack: HandlerStack) -> None:
        self.stack = stack
        docs = load_function("docs")
        response = docs.lambda_handler(api_event("GET", "/swagger", account_id="", query={"format": "json"}),
                                       LambdaContext())
        self.document = json.loads(response["body"])
        self.seen: set[tuple[str, str, str]] = set()

    def _operation(self, method: str, path: str) -> tuple[str, dict[str, Any]]:
        matches = []
        for template, operations in self.document["paths"].items():
            pattern = re.sub(r"\{[^/]+\}", "[^/]+", template)  # paths hold only letters, _ and /
            if method.lower() in operations and re.fullmatch(pattern, path):
                matches.append((template.count("{"), template, operations[method.lower()]))
        assert matches, f"{method} {path} is not in the document"
        _, template, operation = min(matches, key=lambda match: match[0])  # a literal path before a parameter
        return template, operation

    def call(self, method: str, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        status, answer = self.stack.call(method, path, body, **kw)
        template, operation = self._operation(method, path)
        declared = operation["responses"].get(str(status))
        assert declared is not None, f"{method} {template} answered {status}, undeclared: {answer}"
        schema = declared["content"]["application/json"]["schema"]
        validator = Draft202012Validator({**schema, "components": self.document["components"]},
                                         format_checker=FormatChecker())
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(answer)]
        assert not problems, f"{method} {template} {status}: {problems[:5]}"
        self.seen.add((method, template, str(status)))
        return status, answer

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        status, answer = self.call(method, path, body, **kw)
        assert status < 300, (status, answer)
        return answer


def test_every_answer_of_a_billing_flow_is_what_the_document_declares(stack: HandlerStack, clock: None) -> None:
    api = Contract(stack)
    api.ok("GET", "/account")
    api.ok("POST", "/account", {
        "name": "Nordlys Studio AB", "email": "billing@nordlys.example",
        "address": {"line1": "Sveavägen 44", "city": "Stockholm", "postal_code": "111 34", "country": "SE"},
        "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}], "iban": "SE4550000000058398257466",
        "bic": "ESSESESS", "texts": {"default_language": "en", "en": {"message": "Thank you."}},
        "branding": {"primary_color": "#112233", "custom_fields": [{"name": "Project", "value": "Aurora"}]}})
    customer = api.ok("POST", "/customers", {
        "name": "Kund AB", "email": "ap@kund.example", "currency": "SEK", "locale": "sv",
        "address": {"line1": "Storgatan 1", "city": "Malmö", "country": "SE"}, "metadata": {"crm": "42"}})
    api.ok("GET", f"/customers/{customer['id']}")
    api.ok("POST", f"/customers/{customer['id']}", {"invoice_prefix": None, "email": "ekonomi@kund.example"})
    api.ok("GET", "/customers", query={"limit": "2"})
    assert api.call("GET", "/customers/cus_missing")[0] == 404
    assert api.call("POST", "/customers", {"name": ""})[0] == 400

    no_address = api.ok("POST", "/customers", {"name": "Utan Adress AB", "currency": "SEK"})
    blocked = api.ok("POST", "/invoices", {"customer": no_address["id"], "lines": [
        {"description": "Timmar", "quantity": "1", "unit_amount": 1000}]})
    status, refused = api.call("POST", f"/invoices/{blocked['id']}/finalize")
    assert (status, refused["error"]["code"]) == (409, "finalization_blocked") and refused["error"]["validation_issues"]

    invoice = api.ok("POST", "/invoices", {
        "customer": customer["id"], "description": "November", "period": {"start": "2026-11-01", "end": "2026-11-30"},
        "discounts": [{"percent_off": "5"}], "charges": [{"description": "Frakt", "amount": 4900}],
        "lines": [{"description": "Konsulttimmar", "quantity": "2.5", "unit_amount": 95000, "unit_code": "HUR",
                   "discounts": [{"amount_off": 1000}], "supply_date": "2026-11-14"},
                  {"description": "Licens", "quantity": "1", "unit_amount_decimal": "1999.5",
                   "tax_rate": {"percent": "12", "name": "Moms", "category": "S"}}],
        "metadata": {"order": "A-1"}})
    added = api.ok("POST", f"/invoices/{invoice['id']}/lines", {"lines": [
        {"description": "Resa", "quantity": "1", "unit_amount": 50000}]})
    api.ok("DELETE", f"/invoices/{invoice['id']}/lines/{added['lines']['data'][-1]['id']}")
    api.ok("GET", f"/invoices/{invoice['id']}")
    assert api.call("GET", f"/invoices/{invoice['id']}/pdf")[0] == 409  # a draft has no documents
    finalized = api.ok("POST", f"/invoices/{invoice['id']}/finalize")
    assert finalized["number"]
    assert api.call("GET", f"/invoices/{invoice['id']}/pdf")[0] == 202
    stack.deliver()
    assert api.ok("GET", f"/invoices/{invoice['id']}/pdf")["ready"] is True
    api.call("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "cii"})
    api.ok("GET", f"/invoices/{invoice['id']}/events")
    api.ok("GET", "/invoices", query={"status": "open", "due_date_gte": "2026-11-01"})
    assert api.call("GET", "/invoices", query={"due_date_lte": "0"})[0] == 400

    line = finalized["lines"]["data"][0]["id"]
    credit = {"invoice": invoice["id"], "reason": "order_change", "lines": [
        {"type": "invoice_line_item", "invoice_line_item": line, "quantity": "1"},
        {"type": "custom_line_item", "description": "Goodwill", "unit_amount": 1000,
         "tax_rate": {"category": "S", "percent": "25"}}]}
    preview = api.ok("POST", "/credit_notes/preview", credit)
    assert preview["id"] is None and preview["preview"] is True
    note = api.ok("POST", "/credit_notes", credit)
    api.ok("GET", f"/credit_notes/{note['id']}")
    api.ok("GET", f"/invoices/{invoice['id']}/credit_notes")
    api.call("GET", f"/credit_notes/{note['id']}/pdf")
    api.call("GET", f"/credit_notes/{note['id']}/einvoice", query={"format": "ubl"})
    api.ok("POST", f"/invoices/{invoice['id']}/pay")

    other = api.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Support", "quantity": "1", "unit_amount": 10000}]})
    api.ok("POST", f"/invoices/{other['id']}/finalize")
    api.ok("POST", f"/invoices/{other['id']}/mark_uncollectible")
    api.ok("POST", f"/invoices/{other['id']}/void")
    assert api.call("POST", f"/invoices/{other['id']}/void")[0] == 409

    product = api.ok("POST", "/products", {"name": "Seats", "unit_label": "seat"})
    api.ok("GET", f"/products/{product['id']}")
    api.ok("GET", "/products")
    seats = api.ok("POST", "/prices", {"product": product["id"], "currency": "sek", "unit_amount": 10000,
                                       "recurring": {"interval": "month"}})
    tiered = api.ok("POST", "/prices", {
        "product": product["id"], "currency": "sek", "billing_scheme": "tiered", "tiers_mode": "graduated",
        "tiers": [{"up_to": 5, "unit_amount": 700}, {"up_to": "inf", "unit_amount_decimal": "650.5"}]})
    api.ok("POST", f"/prices/{tiered['id']}", {"nickname": "Volume", "active": False})
    api.ok("GET", f"/prices/{seats['id']}")
    api.ok("GET", "/prices", query={"product": product["id"]})
    coupon = api.ok("POST", "/coupons", {"percent_off": "12.5", "duration": "repeating", "duration_in_months": 3})
    api.ok("GET", f"/coupons/{coupon['id']}")

    api.ok("POST", "/meters", {"event_name": "api_calls", "display_name": "API calls"})
    meters = api.ok("GET", "/meters")
    meter = api.ok("GET", f"/meters/{meters['data'][0]['id']}")
    event = {"event_name": "api_calls", "payload": {"customer": customer["id"], "value": "3"}, "identifier": "e-1"}
    assert api.call("POST", "/usage_events", event)[0] == 201
    assert api.call("POST", "/usage_events", event)[0] == 200
    api.ok("GET", f"/meters/{meter['id']}/usage", query={
        "customer": customer["id"], "start_time": "2026-11-01T00:00:00Z", "end_time": "2026-12-01T00:00:00Z"})

    sub = api.ok("POST", "/subscriptions", {"customer": customer["id"], "coupon": coupon["id"],
                                            "items": [{"price": seats["id"], "quantity": 2}]})
    api.ok("GET", f"/subscriptions/{sub['id']}")
    api.ok("GET", "/subscriptions", query={"customer": customer["id"]})
    api.ok("POST", f"/subscriptions/{sub['id']}/items/{sub['items'][0]['id']}", {"quantity": 3})
    added = api.ok("POST", f"/subscriptions/{sub['id']}/items", {"price": seats["id"], "quantity": 1})
    api.ok("POST", f"/subscriptions/{sub['id']}/items/{added['items'][-1]['id']}",
           {"deleted": True, "proration_behavior": "none"})  # no credit: later payments here match exactly
    rule = api.ok("POST", "/discount_rules", {"name": "Volume", "min_quantity": "100", "percent_off": "5"})
    api.ok("GET", f"/discount_rules/{rule['id']}")
    api.ok("GET", "/discount_rules")
    api.ok("POST", f"/discount_rules/{rule['id']}/deactivate")
    api.ok("POST", f"/subscriptions/{sub['id']}/pause")
    api.ok("POST", f"/subscriptions/{sub['id']}/resume")
    api.ok("POST", f"/subscriptions/{sub['id']}/cancel", {"at_period_end": True})

    api.ok("POST", f"/invoices/{finalized['id']}/send")
    api.ok("POST", f"/invoices/{finalized['id']}/hosted_link/rotate")
    api.ok("GET", "/review")
    api.ok("GET", f"/invoices/{finalized['id']}/dunning")
    api.ok("GET", "/invoices", query={"overdue": "true"})

    # Payments: one that matches nothing waits for review and is applied by hand; a statement upload.
    stray = api.ok("POST", "/payments", {"amount": 1500, "currency": "SEK", "reference": "nothing we know"})
    assert stray["status"] == "unmatched"
    api.ok("GET", "/payments", query={"status": "unmatched"})
    api.ok("GET", f"/payments/{stray['id']}")
    due = api.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Support, December", "unit_amount": 1200}]})
    api.ok("POST", f"/invoices/{due['id']}/finalize")
    api.ok("POST", f"/payments/{stray['id']}/apply", {"invoices": [due["id"]]})
    upload = api.ok("POST", "/bank_statements", {"filename": "camt053.xml"})
    api.ok("GET", f"/bank_statements/{upload['id']}")
    # A supporting document's file: declared (201, with its upload URL), read back pending.
    file = api.ok("POST", "/files", {"filename": "timesheet.pdf", "mime_code": "application/pdf", "size": 2048})
    api.ok("GET", f"/files/{file['id']}")

    # Billing runs and review, on a test clock: an enterprise customer's next period is held as a draft.
    api.ok("POST", "/account", {"review": {"held_segments": ["enterprise"]}})
    test_clock = api.ok("POST", "/test_clocks", {"frozen_time": "2026-11-14T09:00:00Z", "name": "Contract"})
    api.ok("GET", f"/test_clocks/{test_clock['id']}")
    status, missing = api.call("POST", "/customers", {"name": "Ingen Klocka AB", "test_clock": "clock_missing"})
    assert (status, missing["error"]["param"]) == (404, "test_clock")  # a referenced clock that does not exist
    big = api.ok("POST", "/customers", {
        "name": "Stor AB", "email": "ap@stor.example", "currency": "SEK", "segments": ["enterprise"],
        "address": {"line1": "Storgatan 2", "city": "Malmö", "country": "SE"}, "test_clock": test_clock["id"]})
    api.ok("POST", "/subscriptions", {"customer": big["id"], "items": [{"price": seats["id"], "quantity": 5}]})
    api.ok("POST", f"/test_clocks/{test_clock['id']}/advance", {"frozen_time": "2026-12-14T09:30:00Z"})
    run = api.ok("GET", "/billing_runs")["data"][0]
    api.ok("GET", f"/billing_runs/{run['id']}")
    assert api.ok("GET", f"/billing_runs/{run['id']}/drafts")["data"]
    api.ok("POST", f"/billing_runs/{run['id']}/approve", {"all": True})
    api.ok("POST", "/billing_runs", {"customer": customer["id"], "dry_run": True})
    api.ok("POST", "/billing_runs", {"customer": customer["id"]})

    succeeded = {(method, template) for method, template, status in api.seen if status.startswith("2")}
    every = {(method.upper(), template) for template, ops in api.document["paths"].items() for method in ops}
    assert every - succeeded <= {("GET", "/credit_notes/{credit_note_id}/pdf"),
                                 ("GET", "/credit_notes/{credit_note_id}/einvoice"),
                                 ("GET", "/invoices/{invoice_id}/einvoice")}, sorted(every - succeeded)
