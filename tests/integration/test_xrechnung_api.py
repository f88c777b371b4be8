"""XRechnung through the API over moto: the customer chooses the profile and gives its Leitweg-ID
(checked by its check digits, 400 naming the field); finalizing an invoice that breaks a BR-DE rule
is refused with a 409 naming the rule and the field; once fixed, the UBL and CII it produces name
XRechnung 3.0, carry the Leitweg-ID as BT-10 and pass the CEN rules and the re-stated BR-DE rules."""

from __future__ import annotations

import urllib.parse

from lxml import etree

from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from invoicing.domain.xrechnung import XRECHNUNG_SPECIFICATION_ID
from tests.integration.conftest import HandlerStack
from tests.unit.einvoice.test_xrechnung import br_de_findings

SELLER = {
    "name": "Elbe Software GmbH", "email": "rechnung@elbe.example", "phone": "+49 40 123456",
    "address": {"line1": "Am Sandtorkai 1", "city": "Hamburg", "postal_code": "20457", "country": "DE"},
    "tax_ids": [{"type": "eu_vat", "value": "DE136695976"}], "iban": "DE89370400440532013000",
}
CITY = {"name": "Freie und Hansestadt Hamburg", "email": "eingang@hamburg.example", "currency": "EUR",
        "locale": "de", "address": {"line1": "Rathausmarkt 1", "city": "Hamburg", "postal_code": "20095",
                                    "country": "DE"}}
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def stored(stack: HandlerStack, link: dict) -> bytes:
    path = urllib.parse.unquote(urllib.parse.urlparse(link["url"]).path.lstrip("/"))
    return stack.s3.get_object(Bucket=stack.bucket, Key=path.removeprefix(f"{stack.bucket}/"))["Body"].read()


def test_the_leitweg_id_and_profile_are_checked_at_the_edge(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    for body, param in (({"leitweg_id": "04011000-1234512345-07"}, "leitweg_id"),  # a wrong check digit
                        ({"leitweg_id": "nicht-eine-id"}, "leitweg_id"),
                        ({"einvoice_profile": "zugferd"}, "einvoice_profile")):
        status, refused = stack.call("POST", "/customers", {**CITY, **body})
        assert status == 400 and refused["error"]["param"] == param, refused
    customer = stack.ok("POST", "/customers", {**CITY, "einvoice_profile": "xrechnung",
                                               "leitweg_id": "991-33333test-33"})
    assert (customer["einvoice_profile"], customer["leitweg_id"]) == ("xrechnung", "991-33333TEST-33")
    status, refused = stack.call("POST", f"/customers/{customer['id']}", {"leitweg_id": "991-33333TEST-34"})
    assert status == 400 and refused["error"]["param"] == "leitweg_id"
    assert stack.ok("POST", f"/customers/{customer['id']}", {"einvoice_profile": "en16931"})[
        "einvoice_profile"] == "en16931"
    assert stack.ok("POST", "/customers", CITY)["einvoice_profile"] == "en16931"  # the default


def test_an_xrechnung_breaking_a_br_de_rule_is_refused_then_produced_once_fixed(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)  # no seller contact: BR-DE-5
    customer = stack.ok("POST", "/customers", {**CITY, "einvoice_profile": "xrechnung",
                                               "leitweg_id": "04011000-1234512345-06"})
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"],
                                           "lines": [{"description": "Fachverfahren, Wartung März",
                                                      "unit_amount": 480000}]})
    issues = {i["code"]: i for i in draft["validation_issues"]}
    assert issues["xrechnung_br_de_5"]["field"] == "account.contact.name" and issues["xrechnung_br_de_5"]["blocking"]
    status, refused = stack.call("POST", f"/invoices/{draft['id']}/finalize")
    assert status == 409 and refused["error"]["code"] == "finalization_blocked"
    assert "XRechnung BR-DE-5:" in refused["error"]["message"]
    assert refused["error"]["param"] == "account.contact.name"

    stack.ok("POST", "/account", {"contact": {"name": "Jana Vogt"}})
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert stack.deliver()["failed"] == 0
    ubl = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "ubl"}))
    cii = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "cii"}))
    assert validate_ubl(ubl).ok and validate_cii(cii).ok
    assert br_de_findings(ubl) == set() and br_de_findings(cii) == set()
    root = etree.fromstring(ubl)
    assert root.findtext(f"{{{CBC}}}CustomizationID") == XRECHNUNG_SPECIFICATION_ID
    assert root.findtext(f"{{{CBC}}}BuyerReference") == "04011000-1234512345-06"
