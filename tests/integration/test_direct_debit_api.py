"""SEPA direct debit (EN 16931 BG-19) through the API over moto: the account's creditor identifier
(BT-90) and a customer's mandate (BT-89, BT-91) go in checked (a 400 naming the field otherwise); an
invoice in euro for that customer is code 59 in the UBL and the CII, which the CEN rules accept (and,
for an XRechnung customer, the re-stated BR-DE rules); its PDF says the amount will be debited from
the account ending in its last four characters under the mandate, and asks for no transfer."""

from __future__ import annotations

import io

from lxml import etree
from pypdf import PdfReader

from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from tests.integration.conftest import HandlerStack
from tests.integration.test_xrechnung_api import CITY, SELLER, stored
from tests.unit.einvoice.test_xrechnung import br_de_findings

CREDITOR_ID = "DE98ZZZ09999999999"
MANDATE = {"mandate_reference": "MNDT-2026-0042", "iban": "DE02 1203 0000 0000 2020 51"}
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def test_a_mandated_customer_s_invoice_is_debited_in_the_pdf_and_both_einvoices(stack: HandlerStack) -> None:
    account = stack.ok("POST", "/account", {**SELLER, "sepa_creditor_id": "de98 zzz 09999999999",
                                            "contact": {"name": "Jana Vogt"}})
    assert account["sepa_creditor_id"] == CREDITOR_ID  # compact
    customer = stack.ok("POST", "/customers", {**CITY, "direct_debit": MANDATE, "einvoice_profile": "xrechnung",
                                               "leitweg_id": "04011000-1234512345-06"})
    assert customer["direct_debit"] == {"mandate_reference": "MNDT-2026-0042", "iban": "DE02120300000000202051"}
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Fachverfahren, Wartung März", "unit_amount": 480000}]})
    assert not [i for i in draft["validation_issues"] if i["blocking"]], draft["validation_issues"]
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert invoice["amount_due"] == 571200  # 4 800,00 + 19 %
    assert stack.deliver()["failed"] == 0

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(stored(
        stack, stack.ok("GET", f"/invoices/{invoice['id']}/pdf")))).pages)
    flat = " ".join(text.replace("\u00a0", " ").split())
    assert "SEPA-Lastschrift" in flat, flat
    assert "5.712,00 € wird gemäß Mandat MNDT-2026-0042" in flat and "von Ihrem Konto •••• 2051 abgebucht" in flat, flat
    assert "Bitte nicht überweisen" in flat and f"Gläubiger-ID {CREDITOR_ID}" in flat, flat
    assert "DE02120300000000202051" not in flat.replace(" ", "")  # the customer's IBAN is masked
    assert "DE89" not in flat  # the seller's own IBAN is not offered for a transfer

    ubl = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "ubl"}))
    cii = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "cii"}))
    assert validate_ubl(ubl).ok and validate_cii(cii).ok
    assert br_de_findings(ubl) == set() and br_de_findings(cii) == set()
    root = etree.fromstring(ubl)
    assert [e.text for e in root.iter(f"{{{CBC}}}PaymentMeansCode")] == ["59"]
    assert root.findtext(f"{{{CAC}}}PaymentMeans/{{{CAC}}}PaymentMandate/{{{CBC}}}ID") == "MNDT-2026-0042"
    assert root.findtext(f"{{{CAC}}}PaymentMeans/{{{CAC}}}PaymentMandate/{{{CAC}}}PayerFinancialAccount/"
                         f"{{{CBC}}}ID") == "DE02120300000000202051"
    assert root.xpath("//cbc:ID[@schemeID='SEPA']/text()", namespaces={"cbc": CBC}) == [CREDITOR_ID]
    cross = etree.fromstring(cii)
    assert cross.findtext(f".//{{{RAM}}}CreditorReferenceID") == CREDITOR_ID
    assert cross.findtext(f".//{{{RAM}}}DirectDebitMandateID") == "MNDT-2026-0042"
    assert cross.findtext(f".//{{{RAM}}}PayerPartyDebtorFinancialAccount/{{{RAM}}}IBANID") == "DE02120300000000202051"


def test_bad_mandates_and_creditor_ids_are_refused_and_a_missing_creditor_id_blocks(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    for body, param, said in (
            ({"direct_debit": {**MANDATE, "iban": "DE02 1203 0000 0000 2020 52"}}, "direct_debit.iban", "IBAN"),
            ({"direct_debit": {**MANDATE, "mandate_reference": "MNDT 42"}}, "direct_debit.mandate_reference", ""),
            ({"direct_debit": {"iban": MANDATE["iban"]}}, "direct_debit.mandate_reference", "")):
        status, refused = stack.call("POST", "/customers", {**CITY, **body})
        assert status == 400 and refused["error"]["param"] == param, refused
        assert said in refused["error"]["message"], refused
    status, refused = stack.call("POST", "/account", {"sepa_creditor_id": "DE99ZZZ09999999999"})
    assert status == 400 and refused["error"]["param"] == "sepa_creditor_id", refused
    assert "not a valid SEPA creditor identifier" in refused["error"]["message"]

    customer = stack.ok("POST", "/customers", {**CITY, "direct_debit": MANDATE})
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Wartung", "unit_amount": 10000}]})
    status, refused = stack.call("POST", f"/invoices/{draft['id']}/finalize")
    assert status == 409 and refused["error"]["param"] == "account.sepa_creditor_id", refused
    stack.ok("POST", "/account", {"sepa_creditor_id": CREDITOR_ID})
    assert stack.ok("POST", f"/invoices/{draft['id']}/finalize")["status"] == "open"
    # null clears the mandate: the next invoice is paid by transfer again
    assert stack.ok("POST", f"/customers/{customer['id']}", {"direct_debit": None})["direct_debit"] is None
