"""Payment by card (EN 16931 BG-18) through the API over moto: a customer's `payment_card` goes in checked
(its last 4 to 6 digits only, never a full card number: a 400 naming `payment_card.last_digits`
otherwise) and comes back as given; a charge_automatically invoice for that customer is its card code
alone with the card in the UBL and the CII, which the CEN rules accept (and, for an XRechnung customer,
the re-stated BR-DE rules, BR-DE-24 among them), and its PDF says the amount is charged to the card
ending in those digits and asks for no transfer; null clears the card."""

from __future__ import annotations

import io

from lxml import etree
from pypdf import PdfReader

from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from tests.integration.conftest import HandlerStack
from tests.integration.test_xrechnung_api import CITY, SELLER, stored
from tests.unit.einvoice.test_xrechnung import br_de_findings

CARD = {"last_digits": "4242", "holder_name": "Jana Vogt", "kind": "credit"}
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def charged_invoice(stack: HandlerStack, customer: dict) -> dict:
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "collection_method": "charge_automatically",
                                           "lines": [{"description": "Fachverfahren, Wartung März",
                                                      "unit_amount": 480000}]})
    assert not [i for i in draft["validation_issues"] if i["blocking"]], draft["validation_issues"]
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert invoice["amount_due"] == 571200  # 4 800,00 + 19 %
    assert stack.deliver()["failed"] == 0
    return invoice


def test_a_card_customer_s_charged_invoice_states_the_card_in_both_einvoices(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", {**SELLER, "contact": {"name": "Jana Vogt"}})
    customer = stack.ok("POST", "/customers", {**CITY, "payment_card": CARD, "default_payment_method": "pm_card_4242",
                                               "einvoice_profile": "xrechnung", "leitweg_id": "04011000-1234512345-06"})
    assert customer["payment_card"] == CARD
    assert stack.ok("GET", f"/customers/{customer['id']}")["payment_card"] == CARD
    invoice = charged_invoice(stack, customer)

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(stored(
        stack, stack.ok("GET", f"/invoices/{invoice['id']}/pdf")))).pages)
    flat = " ".join(text.replace("\u00a0", " ").split())
    assert "Kartenzahlung 5.712,00 € wird Ihrer Karte mit der Endung 4242 belastet. Bitte nicht überweisen." in flat, \
        flat
    assert "DE89" not in flat  # the seller's own IBAN is not offered for a transfer

    ubl = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "ubl"}))
    cii = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "cii"}))
    ubl_report, cii_report = validate_ubl(ubl), validate_cii(cii)
    assert ubl_report.ok, str(ubl_report)
    assert cii_report.ok, str(cii_report)
    assert br_de_findings(ubl) == set() and br_de_findings(cii) == set()
    root = etree.fromstring(ubl)
    assert [e.text for e in root.iter(f"{{{CBC}}}PaymentMeansCode")] == ["54"]
    card = f"{{{CAC}}}PaymentMeans/{{{CAC}}}CardAccount/"
    assert root.findtext(card + f"{{{CBC}}}PrimaryAccountNumberID") == "4242"
    assert root.findtext(card + f"{{{CBC}}}HolderName") == "Jana Vogt"
    assert root.find(f"{{{CAC}}}PaymentMeans/{{{CAC}}}PayeeFinancialAccount") is None  # no transfer asked for
    cross = etree.fromstring(cii)
    assert cross.findtext(f".//{{{RAM}}}ApplicableTradeSettlementFinancialCard/{{{RAM}}}ID") == "4242"
    assert cross.findtext(f".//{{{RAM}}}ApplicableTradeSettlementFinancialCard/{{{RAM}}}CardholderName") == \
        "Jana Vogt"
    assert cross.find(f".//{{{RAM}}}PayeePartyCreditorFinancialAccount") is None


def test_bad_last_digits_are_refused_and_null_clears_the_card(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    for digits in ("4242424242424242", "42a2", "424", "4242 4242", "•••• 4242"):
        status, refused = stack.call("POST", "/customers", {**CITY, "payment_card": {"last_digits": digits}})
        assert status == 400 and refused["error"]["param"] == "payment_card.last_digits", refused
        assert "4 to 6 digits" in refused["error"]["message"] and digits not in refused["error"]["message"], refused
    status, refused = stack.call("POST", "/customers", {**CITY, "payment_card": {**CARD, "kind": "visa"}})
    assert status == 400 and refused["error"]["param"] == "payment_card.kind", refused

    customer = stack.ok("POST", "/customers", {**CITY, "payment_card": {"last_digits": "424242"}})
    assert customer["payment_card"] == {"last_digits": "424242", "holder_name": None, "kind": "card"}
    status, refused = stack.call("POST", f"/customers/{customer['id']}",
                                 {"payment_card": {"last_digits": "4000056655665556"}})
    assert status == 400 and refused["error"]["param"] == "payment_card.last_digits", refused
    updated = stack.ok("POST", f"/customers/{customer['id']}", {"payment_card": {"last_digits": "5556",
                                                                                 "kind": "debit"}})
    assert updated["payment_card"] == {"last_digits": "5556", "holder_name": None, "kind": "debit"}
    assert stack.ok("POST", f"/customers/{customer['id']}", {"name": "Hamburg"})["payment_card"] == \
        updated["payment_card"]  # an update that does not name it keeps it
    assert stack.ok("POST", f"/customers/{customer['id']}", {"payment_card": None})["payment_card"] is None
