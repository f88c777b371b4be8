"""The API function end to end over moto: real handler, real tables from template.yaml."""

from __future__ import annotations

import io
import json
import urllib.parse

import pytest
from pypdf import PdfReader

from tests.integration.conftest import HandlerStack
from tests.integration.lambdas import ROOT, LambdaContext, api_event, sample_event

SE_ADDRESS = {"line1": "Storgatan 1", "city": "Malmö", "postal_code": "211 34", "country": "SE"}
SELLER = {
    "name": "Test Seller AB", "email": "billing@seller.example",
    "address": {"line1": "Sveavägen 1", "city": "Stockholm", "postal_code": "111 57", "country": "SE"},
    "tax_ids": [{"type": "eu_vat", "value": "SE556703748501"}], "iban": "SE4550000000058398257466",
}


def swedish_customer(stack: HandlerStack, **extra: object) -> dict:
    body = {"name": "Kund AB", "email": "ekonomi@kund.example", "currency": "SEK", "locale": "sv",
            "address": SE_ADDRESS, **extra}
    return stack.ok("POST", "/customers", body)


@pytest.fixture
def seller(stack: HandlerStack) -> dict:
    return stack.ok("POST", "/account", SELLER)


def bus_message(stack: HandlerStack, event: dict) -> dict:
    """The SQS body the render rule delivers for an event the API shows (the bus's detail is the event)."""
    detail = {k: v for k, v in event.items() if k != "object"} | {"account_id": stack.account_id}
    return {"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": event["type"],
            "source": "invoicing", "account": "123456789012", "time": event["created"], "region": "eu-west-1",
            "resources": [], "detail": detail}


def count_invoices(stack: HandlerStack) -> int:
    return len(stack.ok("GET", "/invoices", query={"limit": "100"})["data"])


def test_sample_event_creates_a_customer(stack: HandlerStack) -> None:
    event = sample_event("api/create_customer.json")
    event["requestContext"]["authorizer"]["account_id"] = stack.account_id
    response = stack.api.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 201
    customer = json.loads(response["body"])
    assert customer["id"].startswith("cus_") and customer["object"] == "customer"
    assert customer["created"].endswith("Z")
    assert stack.ok("GET", f"/customers/{customer['id']}")["name"] == "Kund AB"


def test_three_lines_at_ten_percent(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    ten_percent = {"percent": "10", "name": "VAT"}
    lines = [{"description": f"Item {u}", "quantity": 1, "unit_amount": u, "tax_rate": ten_percent}
             for u in (1033, 1033, 1034)]
    invoice = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": lines})
    assert (invoice["subtotal"], invoice["tax"], invoice["total"], invoice["amount_due"]) == (3100, 310, 3410, 3410)
    assert invoice["status"] == "draft" and invoice["number"] is None
    assert invoice["validation_issues"] == []


@pytest.mark.parametrize(
    ("body", "raw", "param", "code"),
    [
        (None, '{"customer": "cus_x", "lines": [', None, "invalid_json"),
        ({"lines": [{"description": "x", "quantity": "abc", "unit_amount": 100}]}, None, "lines[0].quantity",
         "invalid_field"),
        ({"currency": "XYZ"}, None, "currency", "invalid_field"),
        ({"lines": [{"description": "x", "quantity": 1, "unit_amount": 10.5}]}, None, "lines[0].unit_amount",
         "invalid_field"),
        ({"lines": [{"description": "x", "quantity": 1.5, "unit_amount": 10}]}, None, "lines[0].quantity",
         "invalid_field"),
        ({"colour": "blue"}, None, "colour", "unknown_field"),
    ],
)
def test_bad_input_is_a_4xx_naming_the_field_and_writes_nothing(
    stack: HandlerStack, seller: dict, body: dict | None, raw: str | None, param: str | None, code: str
) -> None:
    customer = swedish_customer(stack)
    full = None if raw else {"customer": customer["id"], **(body or {})}
    status, payload = stack.call("POST", "/invoices", full, raw_body=raw)
    assert status == 400, payload
    error = payload["error"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] == code
    assert error["param"] == param
    assert error["message"] and (param is None or param in error["message"])
    assert count_invoices(stack) == 0


def test_sample_event_with_a_float_amount_is_refused(stack: HandlerStack) -> None:
    event = sample_event("api/create_invoice_float_amount.json")
    event["requestContext"]["authorizer"]["account_id"] = stack.account_id
    response = stack.api.lambda_handler(event, LambdaContext())
    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"]["param"] == "lines[0].unit_amount"


def test_unknown_customer_is_a_404(stack: HandlerStack, seller: dict) -> None:
    status, payload = stack.call("POST", "/invoices", {"customer": "cus_missing", "lines": []})
    assert status == 404 and payload["error"]["param"] == "customer"


def test_invalid_vat_id_is_refused(stack: HandlerStack) -> None:
    status, payload = stack.call("POST", "/customers", {"name": "X", "tax_ids": [{"type": "eu_vat",
                                                                                     "value": "DE136695977"}]})
    assert status == 400
    assert payload["error"]["code"] == "invalid_tax_id"
    assert payload["error"]["param"] == "tax_ids[0].value"


def test_finalize_render_pdf_and_the_invoice_is_frozen(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Konsulttimmar", "quantity": "2.5", "unit_amount": 98760}]})
    status, _ = stack.call("GET", f"/invoices/{draft['id']}/pdf")
    assert status == 409  # a draft has no PDF

    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert invoice["status"] == "open" and invoice["number"] == "INV-000001"
    assert invoice["total"] == 246900 + 61725  # 2.5 x 987.60 SEK + 25 % VAT
    assert invoice["issue_date"] and invoice["due_date"]
    assert invoice["payment_reference"] == "RF69INV000001"

    status, payload = stack.call("POST", f"/invoices/{draft['id']}/lines", {"lines": [
        {"description": "More", "unit_amount": 100}]})
    assert status == 409 and payload["error"]["code"] == "invoice_not_draft"
    status, payload = stack.call("POST", f"/invoices/{draft['id']}/finalize")
    assert status == 409

    assert stack.deliver() == {"delivered": 1, "failed": 0}  # invoice.finalized -> the render queue
    link = stack.ok("GET", f"/invoices/{draft['id']}/pdf")
    assert link["ready"] is True and link["expires_in"] <= 900
    query = urllib.parse.parse_qs(urllib.parse.urlparse(link["url"]).query)
    assert int(query.get("X-Amz-Expires", ["0"])[0]) <= 900
    path = urllib.parse.unquote(urllib.parse.urlparse(link["url"]).path.lstrip("/"))
    key = path.removeprefix(f"{stack.bucket}/")
    pdf = stack.s3.get_object(Bucket=stack.bucket, Key=key)["Body"].read()
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "INV-000001" in text and "Kund AB" in text

    # Redelivery of the same event does not render or overwrite again.
    finalized = next(e for e in stack.ok("GET", f"/invoices/{draft['id']}/events")["data"]
                     if e["type"] == "invoice.finalized")
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=json.dumps(bus_message(stack, finalized)))
    assert stack.pump_render_queue() == {"delivered": 1, "failed": 0}
    versions = stack.s3.list_object_versions(Bucket=stack.bucket, Prefix=key)["Versions"]
    assert len(versions) == 1


def test_blocking_issue_stops_finalization_with_409(stack: HandlerStack, seller: dict) -> None:
    customer = stack.ok("POST", "/customers", {"name": "No Address AB", "email": "a@b.example", "currency": "SEK"})
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Work", "unit_amount": 10000}]})
    assert [i["code"] for i in draft["validation_issues"]] == ["customer_address_missing"]
    status, payload = stack.call("POST", f"/invoices/{draft['id']}/finalize")
    assert status == 409
    assert payload["error"]["code"] == "finalization_blocked"
    assert payload["error"]["param"] == "customer.address"
    assert "address" in payload["error"]["message"]
    # Fixing the customer fixes the draft; nothing was numbered in between.
    stack.ok("POST", f"/customers/{customer['id']}", {"address": SE_ADDRESS})
    assert stack.ok("POST", f"/invoices/{draft['id']}/finalize")["number"] == "INV-000001"


def test_credit_note_reduces_amount_due_then_settles(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Work", "unit_amount": 10000}]})
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert invoice["amount_due"] == 12500
    note = stack.ok("POST", "/credit_notes", {"invoice": invoice["id"], "amount": 2500, "reason": "order_change"})
    assert note["number"] == "CN-000001" and note["amount"] == 2500 and note["tax"] == 500
    after = stack.ok("GET", f"/invoices/{invoice['id']}")
    assert (after["amount_due"], after["amount_remaining"], after["status"]) == (10000, 10000, "open")
    status, payload = stack.call("POST", "/credit_notes", {"invoice": invoice["id"], "amount": 10001})
    assert status == 400 and payload["error"]["param"] == "amount"
    listed = stack.ok("GET", f"/invoices/{invoice['id']}/credit_notes")
    assert [n["id"] for n in listed["data"]] == [note["id"]]
    stack.ok("POST", "/credit_notes", {"invoice": invoice["id"]})  # the rest
    assert stack.ok("GET", f"/invoices/{invoice['id']}")["status"] == "paid"


def three_rate_invoice(stack: HandlerStack) -> dict:
    """1 000,00 kr at 25 %, 800,00 at 12 %, 569,00 at 6 %: VAT 250,00 + 96,00 + 34,14, total 2 749,14."""
    customer = swedish_customer(stack)
    lines = [{"description": f"At {rate} %", "unit_amount": amount, "tax_rate": {"percent": str(rate), "name": "VAT"}}
             for rate, amount in ((25, 100000), (12, 80000), (6, 56900))]
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": lines})
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert invoice["total"] == 274914
    return invoice


def test_credit_note_by_line_reverses_only_that_rates_vat(stack: HandlerStack, seller: dict) -> None:
    invoice = three_rate_invoice(stack)
    books = invoice["lines"]["data"][2]["id"]
    body = {"invoice": invoice["id"], "lines": [{"type": "invoice_line_item", "invoice_line_item": books}]}
    preview = stack.ok("POST", "/credit_notes/preview", body)
    assert (preview["id"], preview["number"], preview["amount"]) == (None, None, 60314)
    note = stack.ok("POST", "/credit_notes", body)
    assert note["number"] == "CN-000001" and note["id"].startswith("cn_")
    assert [(g["percent"], g["taxable_amount"], g["tax_amount"]) for g in note["tax_groups"]] == [("6", 56900, 3414)]
    assert [(line["invoice_line_item"], line["quantity"], line["net_amount"], line["tax"]["percent"])
            for line in note["lines"]["data"]] == [(books, "1", 56900, "6")]
    assert preview["tax_groups"] == note["tax_groups"]
    assert stack.ok("GET", f"/invoices/{invoice['id']}")["amount_due"] == 274914 - 60314
    assert stack.ok("GET", f"/credit_notes/{note['id']}")["lines"] == note["lines"]

    # Over-crediting, unknown lines and an amount alone on three rates: 400s naming the field.
    again = stack.call("POST", "/credit_notes", {**body, "lines": [{**body["lines"][0], "amount": 1}]})
    assert again[0] == 400 and again[1]["error"]["code"] == "line_fully_credited"
    assert again[1]["error"]["param"] == "lines[0].invoice_line_item"
    status, payload = stack.call("POST", "/credit_notes", {"invoice": invoice["id"], "lines": [
        {"type": "invoice_line_item", "invoice_line_item": "il_nope"}]})
    assert (status, payload["error"]["code"], payload["error"]["param"]) == (
        400, "line_missing", "lines[0].invoice_line_item")
    status, payload = stack.call("POST", "/credit_notes", {"invoice": invoice["id"], "amount": 1000})
    assert (status, payload["error"]["code"], payload["error"]["param"]) == (400, "amount_requires_lines", "amount")
    assert "3 tax rates" in payload["error"]["message"]
    status, payload = stack.call("POST", "/credit_notes", {"invoice": invoice["id"], "lines": [
        {"type": "custom_line_item", "description": "Goodwill", "unit_amount": 100,
         "tax_rate": {"percent": "18"}}]})
    assert (status, payload["error"]["code"]) == (400, "tax_rate_not_on_invoice")
    status, payload = stack.call("POST", "/credit_notes", {"invoice": invoice["id"], "lines": [
        {"type": "invoice_line_item", "invoice_line_item": books, "quantity": 1.5}]})
    assert (status, payload["error"]["param"]) == (400, "lines[0].quantity")  # a JSON float is refused
    status, payload = stack.call("POST", "/credit_notes", {"invoice": invoice["id"], "refund_amount": 100})
    assert (status, payload["error"]["param"]) == (400, "refund_amount")
    assert len(stack.ok("GET", f"/invoices/{invoice['id']}/credit_notes")["data"]) == 1

    # Everything else: 25 % and 12 % in full; the invoice is settled.
    rest = stack.ok("POST", "/credit_notes", {"invoice": invoice["id"]})
    assert [(g["percent"], g["tax_amount"]) for g in rest["tax_groups"]] == [("25", 25000), ("12", 9600)]
    assert rest["number"] == "CN-000002"
    assert stack.ok("GET", f"/invoices/{invoice['id']}")["status"] == "paid"


def test_paid_invoice_credit_becomes_customer_credit_used_next_time(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    first = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Work", "unit_amount": 10000}]})
    stack.ok("POST", f"/invoices/{first['id']}/finalize")
    paid = stack.ok("POST", f"/invoices/{first['id']}/pay")
    assert paid["status"] == "paid" and paid["amount_paid"] == 12500
    stack.ok("POST", "/credit_notes", {"invoice": first["id"], "amount": 5000})
    assert stack.ok("GET", f"/customers/{customer['id']}")["credit_balance"] == 5000
    second = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "More work", "unit_amount": 20000}]})
    finalized = stack.ok("POST", f"/invoices/{second['id']}/finalize")
    assert (finalized["total"], finalized["applied_balance"], finalized["amount_due"]) == (25000, 5000, 20000)
    assert stack.ok("GET", f"/customers/{customer['id']}")["credit_balance"] == 0


def test_credit_after_payment_in_another_currency_is_refused(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)  # pays in SEK; this invoice is in EUR
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "currency": "EUR", "lines": [
        {"description": "Work", "unit_amount": 10000}]})
    stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    stack.ok("POST", f"/invoices/{draft['id']}/pay")
    status, payload = stack.call("POST", "/credit_notes", {"invoice": draft["id"], "amount": 1000})
    assert status == 409 and payload["error"]["code"] == "credit_currency_mismatch"
    assert stack.ok("GET", f"/customers/{customer['id']}")["credit_balance"] == 0
    assert stack.ok("GET", f"/invoices/{draft['id']}/credit_notes")["data"] == []


def test_state_machine_over_http(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    ids = []
    for _ in range(2):
        draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
            {"description": "Work", "unit_amount": 10000}]})
        stack.ok("POST", f"/invoices/{draft['id']}/finalize")
        ids.append(draft["id"])
    voided = stack.ok("POST", f"/invoices/{ids[0]}/void")
    assert voided["status"] == "void" and voided["number"] == "INV-000001"  # keeps its number
    status, payload = stack.call("POST", f"/invoices/{ids[0]}/pay")
    assert status == 409 and payload["error"]["code"] == "invalid_state_transition"
    assert stack.ok("POST", f"/invoices/{ids[1]}/mark_uncollectible")["status"] == "uncollectible"
    assert stack.ok("POST", f"/invoices/{ids[1]}/pay")["status"] == "paid"
    assert [i["number"] for i in stack.ok("GET", "/invoices", query={"status": "void"})["data"]] == ["INV-000001"]


def test_peppol_addresses_are_kept(stack: HandlerStack, seller: dict) -> None:
    account = stack.ok("POST", "/account", {"legal_registration_id": "5567037485",
                                            "electronic_address": {"scheme": "0007", "value": "5567037485"}})
    assert account["electronic_address"] == {"scheme": "0007", "value": "5567037485"}
    customer = swedish_customer(stack, electronic_address={"scheme": "0088", "value": "7300010000001"})
    assert customer["electronic_address"]["scheme"] == "0088"
    status, payload = stack.call("POST", "/customers", {"name": "X", "electronic_address": {"scheme": "email",
                                                                                          "value": "a"}})
    assert status == 400 and payload["error"]["param"] == "electronic_address.scheme"


def test_the_sellers_texts_per_language(stack: HandlerStack, seller: dict) -> None:
    texts = {"default_language": "en", "en": {"message": "Thank you.", "payment_terms": "Net 30."},
             "de": {"message": "Danke."}}
    assert stack.ok("POST", "/account", {"texts": texts})["texts"] == {
        "default_language": "en", "en": {"message": "Thank you.", "payment_terms": "Net 30.", "footer": None},
        "sv": None, "de": {"message": "Danke.", "payment_terms": None, "footer": None}}
    for bad, param in (({"default_language": "sv", "en": {"message": "Hi"}}, "texts"),
                       ({"default_language": "en", "en": {"message": "Hi"}, "fr": {"message": "Salut"}}, "texts.fr"),
                       ({"default_language": "en", "en": {"message": ""}}, "texts.en.message")):
        status, payload = stack.call("POST", "/account", {"texts": bad})
        assert status == 400 and payload["error"]["param"] == param, payload
    assert stack.ok("GET", "/account")["texts"]["de"]["message"] == "Danke."  # nothing of a refused update
    assert stack.ok("POST", "/account", {"texts": None})["texts"] is None


def test_the_date_of_supply_or_the_period(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    november = {"start": "2026-11-01", "end": "2026-11-30"}
    invoice = stack.ok("POST", "/invoices", {"customer": customer["id"], "period": november, "lines": [
        {"description": "Webbhotell, november", "unit_amount": 49950, "period": november},
        {"description": "Installation", "unit_amount": 10000, "supply_date": "2026-11-14"}]})
    assert invoice["period"] == november and invoice["supply_date"] is None
    assert [(li["period"], li["supply_date"]) for li in invoice["lines"]["data"]] == [
        (november, None), (None, "2026-11-14")]
    # The invoicing period and the day in it the goods were delivered (BG-14 and BT-72): both at once.
    both = stack.ok("POST", "/invoices", {"customer": customer["id"], "supply_date": "2026-11-20", "period": november})
    assert (both["supply_date"], both["period"]) == ("2026-11-20", november)
    # A line has a period or a date (EN 16931 has no line delivery date): not both.
    status, payload = stack.call("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "x", "unit_amount": 1, "supply_date": "2026-11-30", "period": november}]})
    assert status == 400 and "not both" in payload["error"]["message"], payload
    assert payload["error"]["param"] == "lines[0]"


def test_charges_on_lines_and_invoice(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    invoice = stack.ok("POST", "/invoices", {
        "customer": customer["id"],
        "lines": [{"description": "Kit", "unit_amount": 10000,
                   "charges": [{"description": "Handling", "percent": "5"}]}],
        "charges": [{"description": "Frakt", "amount": 4900}],
    })
    assert invoice["lines"]["data"][0]["charge_amount"] == 500
    assert (invoice["subtotal"], invoice["total_charge_amount"], invoice["total_excluding_tax"]) == (10500, 4900, 15400)
    assert invoice["tax"] == 3850 and invoice["total"] == 19250
    status, payload = stack.call("POST", "/invoices", {"customer": customer["id"], "charges": [{"description": "x"}]})
    assert status == 400 and payload["error"]["param"] == "charges[0]"


def test_lines_can_be_added_and_removed_on_a_draft(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"]})
    assert [i["code"] for i in draft["validation_issues"]] == ["no_lines"]
    with_lines = stack.ok("POST", f"/invoices/{draft['id']}/lines", {"lines": [
        {"description": "A", "unit_amount": 1000}, {"description": "B", "unit_amount_decimal": "0.125",
                                                    "quantity": "1000"}]})
    assert with_lines["subtotal"] == 1125
    line_b = with_lines["lines"]["data"][1]["id"]
    without = stack.ok("DELETE", f"/invoices/{draft['id']}/lines/{line_b}")
    assert without["subtotal"] == 1000 and len(without["lines"]["data"]) == 1
    status, payload = stack.call("DELETE", f"/invoices/{draft['id']}/lines/il_missing")
    assert status == 400 and payload["error"]["param"] == "line_id"


def test_idempotency_key_replays_the_first_result(stack: HandlerStack) -> None:
    body = {"name": "Once AB", "currency": "SEK"}
    first = stack.ok("POST", "/customers", body, idempotency_key="k-1")
    again = stack.ok("POST", "/customers", body, idempotency_key="k-1")
    assert again["id"] == first["id"]
    assert len(stack.ok("GET", "/customers")["data"]) == 1
    status, payload = stack.call("POST", "/customers", {"name": "Other AB"}, idempotency_key="k-1")
    assert status == 409 and payload["error"]["type"] == "idempotency_error"
    assert payload["error"]["code"] == "idempotency_key_reused" and payload["error"]["param"] == "Idempotency-Key"
    assert len(stack.ok("GET", "/customers")["data"]) == 1  # refused: nothing written
    reordered = json.dumps({"currency": "SEK", "name": "Once AB"}, indent=4)  # the same JSON, other form
    assert stack.ok("POST", "/customers", raw_body=reordered, idempotency_key="k-1")["id"] == first["id"]
    # Keys are per account: another account's same key is a new request.
    status, _ = stack.call("POST", "/customers", body, idempotency_key="k-1", account_id="acct_other")
    assert status in (201, 404)


def test_a_replay_says_so_and_only_a_success_is_remembered(stack: HandlerStack, seller: dict) -> None:
    nowhere = stack.ok("POST", "/customers", {"name": "Adresslös AB", "email": "a@b.example", "currency": "SEK"})
    draft = stack.ok("POST", "/invoices", {"customer": nowhere["id"], "lines": [
        {"description": "Work", "unit_amount": 10000}]})

    def finalize() -> dict:
        event = api_event("POST", f"/invoices/{draft['id']}/finalize", account_id=stack.account_id,
                          idempotency_key="fin-1")
        return stack.api.lambda_handler(event, LambdaContext())

    blocked = finalize()
    assert blocked["statusCode"] == 409  # no address: not remembered under the key
    stack.ok("POST", f"/customers/{nowhere['id']}", {"address": {"line1": "Storgatan 1", "city": "Lund",
                                                                 "country": "SE"}})
    done = finalize()
    assert done["statusCode"] == 200 and "Idempotent-Replayed" not in (done.get("headers") or {})
    replayed = finalize()
    assert replayed["statusCode"] == 200 and replayed["headers"]["Idempotent-Replayed"] == "true"
    assert json.loads(replayed["body"]) == json.loads(done["body"])


def test_a_large_answer_is_remembered_so_a_retry_never_writes_twice(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    text = ("Ä\"<>&\\コ" * 100)[:500]  # characters JSON escapes, and a wide script
    lines = [{"description": text, "quantity": "1.000001", "unit_amount_decimal": "123.456789012",
              "discounts": [{"description": text[:200], "percent_off": "1"}] * 5,
              "charges": [{"description": text[:200], "amount": 1}] * 5} for _ in range(100)]
    body = {"customer": customer["id"], "lines": lines, "metadata": {f"k{i}": "v" * 500 for i in range(50)}}
    answers = [stack.call("POST", "/invoices", body, idempotency_key="big-1") for _ in range(3)]
    assert len(json.dumps(answers[0][1])) > 400_000  # more than a DynamoDB item holds, uncompressed
    assert [status for status, _ in answers] == [201, 201, 201]
    assert len({payload["id"] for _, payload in answers}) == 1
    assert count_invoices(stack) == 1


def test_pagination_with_starting_after(stack: HandlerStack) -> None:
    created = [stack.ok("POST", "/customers", {"name": f"C{i}"})["id"] for i in range(5)]
    page1 = stack.ok("GET", "/customers", query={"limit": "2"})
    assert [c["id"] for c in page1["data"]] == created[::-1][:2] and page1["has_more"] is True
    page2 = stack.ok("GET", "/customers", query={"limit": "2", "starting_after": page1["data"][-1]["id"]})
    assert [c["id"] for c in page2["data"]] == created[::-1][2:4]
    status, payload = stack.call("GET", "/customers", query={"limit": "1000"})
    assert status == 400 and payload["error"]["param"] == "limit"


def test_authorizer_allows_a_valid_key_and_refuses_others(stack: HandlerStack) -> None:
    event = sample_event("authorizer/token.json")
    event["authorizationToken"] = f"Bearer {stack.api_key}"
    policy = stack.authorizer.lambda_handler(event, LambdaContext())
    assert policy["principalId"] == stack.account_id
    assert policy["context"]["account_id"] == stack.account_id
    assert policy["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    for token in ("Bearer sk_live_wrong", stack.api_key, "", f"Basic {stack.api_key}"):
        event["authorizationToken"] = token
        with pytest.raises(Exception, match="Unauthorized"):
            stack.authorizer.lambda_handler(event, LambdaContext())


def test_document_function_reports_partial_batch_failures(stack: HandlerStack, seller: dict) -> None:
    customer = swedish_customer(stack)
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Work", "unit_amount": 10000}]})
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    finalized = stack.ok("GET", f"/invoices/{invoice['id']}/events")["data"][-1]
    good = sample_event("documents/render_request.json")["Records"][0]
    good["body"] = json.dumps(bus_message(stack, finalized))
    bad = dict(good, messageId="bad-1", body="not json")
    lost = bus_message(stack, dict(finalized, id="evt_lost"))
    lost["detail"]["aggregate_id"] = "in_missing"
    missing = dict(good, messageId="missing-1", body=json.dumps(lost))
    result = stack.documents.lambda_handler({"Records": [good, bad, missing]}, LambdaContext())
    assert {f["itemIdentifier"] for f in result["batchItemFailures"]} == {"bad-1", "missing-1"}


@pytest.mark.parametrize("name", sorted(p.name for p in (ROOT / "events" / "api").glob("*.json")))
def test_every_sample_api_event_reaches_its_route(stack: HandlerStack, seller: dict, name: str) -> None:
    """The events in events/api are what `sam local invoke` uses: each must hit a real route and
    get a considered answer (a 404 for the sample's made-up ids, never a 5xx or a missing route)."""
    event = sample_event(f"api/{name}")
    event["requestContext"]["authorizer"]["account_id"] = stack.account_id
    response = stack.api.lambda_handler(event, LambdaContext())
    body = json.loads(response["body"])
    assert response["statusCode"] < 500, body
    assert body.get("error", {}).get("code") != "route_missing"
    if response["statusCode"] == 404:
        assert body["error"]["code"] == "resource_missing"


def test_three_decimal_currency_gets_a_pdf_but_no_einvoice(stack: HandlerStack, seller: dict) -> None:
    customer = stack.ok("POST", "/customers", {"name": "Gulf Trading W.L.L.", "email": "ap@gulf.example",
                                               "currency": "KWD", "customer_type": "business",
                                               "address": {"line1": "Block 3", "city": "Kuwait City",
                                                           "country": "KW"}})
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Consulting", "unit_amount": 1250500}]})
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert invoice["total"] == 1250500  # 1,250.500 KWD: three decimals, services outside the EU (O)
    status, pending = stack.call("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "ubl"})
    assert status == 202 and pending["ready"] is False
    assert stack.deliver()["failed"] == 0
    assert stack.ok("GET", f"/invoices/{invoice['id']}/pdf")["ready"] is True
    status, payload = stack.call("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "cii"})
    assert status == 409 and payload["error"]["code"] == "einvoice_currency_decimals"
    assert "KWD has 3 decimals" in payload["error"]["message"] and payload["error"]["param"] == "currency"


def test_an_svg_logo_may_span_lines_as_xml_does(stack: HandlerStack) -> None:
    """The demo seller's logo is an SVG of several lines: `make demo` sets it up through the API."""
    from local.samples import DEMO_ACCOUNT

    account = stack.ok("POST", "/account", DEMO_ACCOUNT)
    assert "\n" in account["branding"]["logo_svg"]
    status, error = stack.call("POST", "/account", {"branding": {"logo_svg": "<svg>\u202e</svg>"}})
    assert status == 400 and error["error"]["param"] == "branding"
