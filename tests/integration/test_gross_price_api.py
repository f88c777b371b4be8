"""Gross prices and price discounts (EN 16931 BT-148, BT-147) through the API over moto: the net
unit price follows from them exactly, the answer shows all three, and the PDF and both e-invoices
state them (the official CEN rules accept both); inconsistent, negative or excessive ones are a 400
naming the field."""

from __future__ import annotations

import io

from lxml import etree
from pypdf import PdfReader

from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from tests.integration.conftest import HandlerStack
from tests.integration.test_api import SELLER, swedish_customer
from tests.integration.test_en16931_details_api import CAC, CBC, stored

RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"


def test_a_gross_price_less_its_discount_is_the_unit_price_everywhere(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = swedish_customer(stack)  # Swedish: the PDF is in Swedish
    draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "lines": [
        {"description": "Kontorsstol", "quantity": "4", "gross_unit_amount": 249000, "price_discount": 49800},
        {"description": "Skrivbordslampa", "quantity": "3", "gross_unit_amount_decimal": "45000.5",
         "price_discount_decimal": "3750", "unit_amount_decimal": "41250.5"},
        {"description": "Kabelsats", "quantity": "10", "unit_amount": 1990}]})
    chair, lamp, cables = draft["lines"]["data"]
    assert (chair["unit_amount_decimal"], chair["gross_unit_amount_decimal"], chair["price_discount_decimal"]) == (
        "199200", "249000", "49800")
    assert chair["amount"] == 796800  # 4 x 1 992.00
    assert (lamp["unit_amount_decimal"], lamp["amount"]) == ("41250.5", 123752)  # 3 x 412.505 = 1 237.515
    assert cables["gross_unit_amount_decimal"] is None and cables["price_discount_decimal"] is None
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert invoice["subtotal"] == 796800 + 123752 + 19900
    assert stack.deliver()["failed"] == 0

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(stored(
        stack, stack.ok("GET", f"/invoices/{invoice['id']}/pdf")))).pages)
    assert "Listpris 2\u00a0490,00\u00a0kr · Prisavdrag −498,00\u00a0kr" in text, text
    assert "Listpris 450,005\u00a0kr · Prisavdrag −37,50\u00a0kr" in text, text
    assert text.count("Listpris") == 2  # not on the line sold at its unit price

    ubl = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "ubl"}))
    cii = stored(stack, stack.ok("GET", f"/invoices/{invoice['id']}/einvoice", query={"format": "cii"}))
    assert validate_ubl(ubl).ok and validate_ubl(ubl).warnings == []
    assert validate_cii(cii).ok
    line = etree.fromstring(ubl).find(f"{{{CAC}}}InvoiceLine")
    assert line.findtext(f"{{{CAC}}}Price/{{{CBC}}}PriceAmount") == "1992.00"
    discount = line.find(f"{{{CAC}}}Price/{{{CAC}}}AllowanceCharge")
    assert [discount.findtext(f"{{{CBC}}}{n}") for n in ("ChargeIndicator", "Amount", "BaseAmount")] == [
        "false", "498.00", "2490.00"]
    gross = etree.fromstring(cii).find(f".//{{{RAM}}}GrossPriceProductTradePrice")
    assert gross.findtext(f"{{{RAM}}}ChargeAmount") == "2490.00"
    assert gross.findtext(f"{{{RAM}}}AppliedTradeAllowanceCharge/{{{RAM}}}ActualAmount") == "498.00"
    assert len(etree.fromstring(cii).findall(f".//{{{RAM}}}GrossPriceProductTradePrice")) == 2


def test_inconsistent_negative_or_excessive_price_discounts_are_refused(stack: HandlerStack) -> None:
    stack.ok("POST", "/account", SELLER)
    customer = swedish_customer(stack)
    for line, said in (
            ({"gross_unit_amount": 249000, "price_discount": 49800, "unit_amount": 199000},
             "unit_amount 199000 is not gross_unit_amount 249000 less price_discount 49800 (199200)"),
            ({"gross_unit_amount": 1000, "price_discount": 1001}, "is more than gross_unit_amount"),
            ({"gross_unit_amount": -1000}, "greater than or equal to 0"),
            ({"gross_unit_amount": 1000, "price_discount_decimal": "-1"}, "greater than or equal to 0"),
            ({"unit_amount": 1000, "price_discount": 100}, "gross price too"),
            ({"gross_unit_amount": 1000, "gross_unit_amount_decimal": "1000"}, "at most one of gross_unit_amount"),
            ({"gross_unit_amount_decimal": 10.5}, "lines[0].gross_unit_amount_decimal")):
        status, payload = stack.call("POST", "/invoices", {
            "customer": customer["id"], "lines": [{"description": "Stol", **line}]})
        assert status == 400, payload
        assert payload["error"]["param"].startswith("lines[0]"), payload
        assert said in payload["error"]["message"] or said == payload["error"]["param"], payload
    assert len(stack.ok("GET", "/invoices")["data"]) == 0  # nothing written
