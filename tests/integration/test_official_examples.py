"""Issue 12: the official CEN/TC 434 example invoices (ConnectingEurope/eInvoicing-EN16931,
`ubl/examples/ubl-tc434-*.xml`) rebuilt through the API, by hand: the seller's account, the
customer, the draft with its lines, document allowances and charges, references, delivery and
payment details, on a test clock at the example's issue date; finalized, rendered as UBL and CII,
both valid by the CEN rules (no fatal finding), and both carrying the example's own figures.

The golden figures below are copied from each example file (not from our output): BT-106 … BT-115,
each VAT breakdown (category, rate, taxable amount, VAT), each line's net amount (BT-131) and, where
a line is given one, its net price, price discount and gross price (BT-146 … BT-148). Where
the API cannot say what an example says, the request says the nearest thing and the case's comment
names the difference; none of them changes a figure. Left out, because the model cannot express
them: none (all eleven examples are here). docs/einvoicing.md, "The official examples"."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from tests.integration.conftest import HandlerStack
from tests.integration.test_en16931_details_api import stored

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
RAM = "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
RSM = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
UDT = "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
TOTALS = ("BT-106", "BT-107", "BT-108", "BT-109", "BT-110", "BT-112", "BT-113", "BT-114", "BT-115")


def address(line1: str, city: str, postal_code: str | None, country: str, line2: str | None = None,
            state: str | None = None) -> dict[str, Any]:
    return {"line1": line1, "line2": line2, "city": city, "postal_code": postal_code, "state": state,
            "country": country}


def line(description: str, quantity: str, price: int | str, percent: str, category: str = "S",
         exemption_reason: str | None = None, exemption_reason_code: str | None = None,
         **extra: Any) -> dict[str, Any]:
    """A line: `price` an integer of minor units (`unit_amount`) or a decimal string of them
    (`unit_amount_decimal`), at a manual VAT rate as the example states it (BT-120, BT-121 where given)."""
    rate: dict[str, Any] = {"percent": percent, "category": category, "name": "VAT"}
    if exemption_reason:
        rate["exemption_reason"] = exemption_reason
    if exemption_reason_code:
        rate["exemption_reason_code"] = exemption_reason_code
    price_field = {"unit_amount": price} if isinstance(price, int) else {"unit_amount_decimal": price}
    return {"description": description, "quantity": quantity, **price_field, "tax_rate": rate, **extra}


def totals(bt106: str, bt107: str, bt108: str, bt109: str, bt110: str, bt112: str, bt113: str, bt114: str,
           bt115: str) -> dict[str, Decimal]:
    return dict(zip(TOTALS, map(Decimal, (bt106, bt107, bt108, bt109, bt110, bt112, bt113, bt114, bt115)),
                    strict=True))


def vat(category: str, percent: str, taxable: str, tax: str) -> tuple[str, Decimal, Decimal, Decimal]:
    return category, Decimal(percent), Decimal(taxable), Decimal(tax)


@dataclass
class Example:
    """One official example: the requests that rebuild it and its golden figures."""

    file: str
    currency: str  # BT-5
    issue_date: str  # BT-2: the test clock stands at it when the invoice is finalized
    account: dict[str, Any]
    customer: dict[str, Any]
    invoice: dict[str, Any]
    totals: dict[str, Decimal]
    vat: list[tuple[str, Decimal, Decimal, Decimal]]
    lines: list[str]  # BT-131 of each line, in order
    due_date: str | None = None  # BT-9 (None: the example states none)
    prepayment: tuple[str, dict[str, Any]] | None = None  # (its issue date, its draft): paid, then deducted
    credit_note: bool = False  # the example is a credit note: the invoice is credited in full
    tax_currency: tuple[str, str] | None = None  # BT-6 and the second BT-111
    # (BT-146, BT-147, BT-148) of each line sold from a gross price less a price discount, in order
    gross_prices: list[tuple[str, str, str]] = field(default_factory=list)


# --- the examples ----------------------------------------------------------------------------------

KOKSMAAT = {
    "name": "De Koksmaat", "email": "info@koksmaat.example",
    "address": address("Postbus 7l", "Velsen-Noord", "1950 AB", "NL"),
    "tax_ids": [{"type": "eu_vat", "value": "NL820098395B01"}], "legal_registration_id": "57151520",
    "iban": "NL57RABO0107307510", "bank_accounts": [{"iban": "NL03INGB0004489902"}],  # its second account
}
ODIN = {
    "name": "ODIN 59", "currency": "EUR", "address": address("POSTBUS 367", "HEEMSKERK", "1960 AJ", "NL"),
    "identifier": {"value": "10202"}, "contact": {"name": "Dhr. J BLOKKER"},
    "email": "inkoop@odin59.example",  # the example gives none; sending an invoice needs one
}
KOKSMAAT_NOTE = ("Alle leveringen zijn franco. Alle prijzen zijn incl. BTW. Betalingstermijn: 14 dagen netto. "
                 "Prijswijzigingen voorbehouden. Op al onze aanbiedingen, leveringen en overeenkomsten zijn van "
                 "toepassing in de algemene verkoop en leveringsvoorwaarden. Gedeponeerd bij de K.v.K. te "
                 "Amsterdam 25-04-'85##Delivery terms")
KOKSMAAT_LINES = [
    line("PATAT FRITES 10MM 10KG", "2", 995, "6", unit_code="EA", item={"seller_item_id": "166022"}),
    line("PKAAS 50PL. JONG BEL. 1KG", "1", 985, "6", unit_code="EA", item={"seller_item_id": "661813"}),
    line("POT KETCHUP 3 LT", "1", 829, "6", unit_code="EA", item={"seller_item_id": "438146"}),
    line("FRITESSAUS 3 LRR", "2", 723, "6", unit_code="EA", item={"seller_item_id": "438103"}),
    line("KOFFIE BLIK 3,5KG SNELF", "1", 3500, "6", unit_code="EA", item={"seller_item_id": "666955"}),
    line("KOFFIE 3.5 KG BLIK STAND", "1", 3500, "6", unit_code="EA", item={"seller_item_id": "664871"}),
    line("SUIKERKLONT", "1", 1065, "6", unit_code="EA", item={"seller_item_id": "350257"}),
    line("1 KG UL BLOKJES", "1", 155, "6", unit_code="EA", item={"seller_item_id": "350258"}),
    line("BLOCKNOTE A5", "3", 479, "6", unit_code="EA", item={"seller_item_id": "999998"}),
    line("CHIPS NAT KLEIN ZAKJES", "1", 829, "6", unit_code="EA", item={"seller_item_id": "740810"}),
    line("CHIPS PAP KLEINE ZAKJES", "2", 829, "6", unit_code="EA", item={"seller_item_id": "740829"}),
    line("TR KL PAKJES APPELSAP", "1", 995, "6", unit_code="EA", item={"seller_item_id": "740828"}),
    line("PK CHOCOLADEMEL", "2", 165, "6", unit_code="EA", item={"seller_item_id": "740827"}),
    line("KRAT BIER", "1", 1080, "21", unit_code="EA", item={"seller_item_id": "999996"}),
    line("STATIEGELD", "1", 390, "6", unit_code="EA", item={"seller_item_id": "999995"}),
    line("BLEEK 3 X 750 ML", "2", 380, "21", unit_code="EA", item={"seller_item_id": "102172"}),
    line("WC PAPIER", "2", 467, "21", unit_code="EA", item={"seller_item_id": "999994"}),
    line("BALPENNEN 50 ST BLAUW", "1", 1863, "21", unit_code="EA", item={"seller_item_id": "999993"}),
    line("EM FRITUURVET", "6", 1702, "6", unit_code="EA", item={"seller_item_id": "999992"}),
    # The example states quantity 6 with a line amount of -109.98 (a return): here, as BR-27 and
    # this API want a return, quantity -6 at the positive price 18.33 (the same line amount).
    line("FRITUUR VET 10 KG RETOUR", "-6", 1833, "6", unit_code="EA", item={"seller_item_id": "175137"}),
]
KOKSMAAT_NETS = ["19.90", "9.85", "8.29", "14.46", "35.00", "35.00", "10.65", "1.55", "14.37", "8.29", "16.58",
                 "9.95", "3.30", "10.80", "3.90", "7.60", "9.34", "18.63", "102.12", "-109.98"]
KOKSMAAT_INVOICE = {"description": KOKSMAAT_NOTE, "days_until_due": 0, "currency": "EUR",
                    "remittance_information": "Deb. 10202 / Fact. 12115118", "lines": KOKSMAAT_LINES}

EXAMPLE1 = Example(
    file="ubl-tc434-example1.xml", currency="EUR", issue_date="2015-01-09", due_date="2015-01-09",
    account=KOKSMAAT, customer=ODIN, invoice=KOKSMAAT_INVOICE,
    totals=totals("229.60", "0", "0", "229.60", "20.73", "250.33", "0", "0", "250.33"),
    vat=[vat("S", "6", "183.23", "10.99"), vat("S", "21", "46.37", "9.74")],
    lines=KOKSMAAT_NETS,
)

# Example 10 is example 1 with its VAT also stated in SEK (BT-6, the second BT-111: 2000.73 SEK). The
# example gives no rate; 96.5137 is one that turns its 20.73 EUR into exactly that.
EXAMPLE10 = Example(
    file="ubl-tc434-example10.xml", currency="EUR", issue_date="2015-01-09", due_date="2015-01-09",
    account=KOKSMAAT, customer=ODIN,
    invoice={**KOKSMAAT_INVOICE, "tax_currency_rate": {"rate": "96.5137", "currency": "SEK"}},
    totals=totals("229.60", "0", "0", "229.60", "20.73", "250.33", "0", "0", "250.33"),
    vat=[vat("S", "6", "183.23", "10.99"), vat("S", "21", "46.37", "9.74")],
    lines=KOKSMAAT_NETS, tax_currency=("SEK", "2000.73"),
)

EXAMPLE2 = Example(
    file="ubl-tc434-example2.xml", currency="NOK", issue_date="2013-06-30", due_date="2013-07-20",
    account={
        "name": "Salescompany ltd.",
        "address": address("Main street 34", "Big city", "303", "NO", line2="Suite 123", state="RegionA"),
        # The example's NO123456789MVA fails its MOD11 check digit, which the API checks: the nearest
        # valid number stands in for it (and for the buyer's NO987654321MVA below).
        "tax_ids": [{"type": "no_vat", "value": "NO123456785MVA"}], "legal_registration_id": "123456789",
        "contact": {"name": "Antonio Salesmacher", "phone": "46211230", "email": "antonio@salescompany.no"},
        "identifiers": [{"value": "1238764941386", "scheme": "0088"}],
        "iban": "NO9386011117947", "bic": "DNBANOKK",
        "payee": {"name": "Ebeneser Scrooge AS", "identifier": {"value": "2298740918237", "scheme": "0088"},
                  "legal_registration_id": "989823401"},
        # The tax representative's NO967611265MVA fails its check digit: NO967611263MVA stands in.
        "tax_representative": {"name": "Tax handling company AS", "vat_id": "NO967611263MVA",
                               "address": address("Regent street", "Newtown", "202", "NO", line2="Front door",
                                                  state="RegionC")},
    },
    customer={
        "name": "The Buyercompany", "currency": "NOK", "email": "john@buyercompany.no",
        "address": address("Anystreet 8", "Anytown", "101", "NO", line2="Back door", state="RegionB"),
        "tax_ids": [{"type": "no_vat", "value": "NO987654325MVA"}], "legal_registration_id": "987654321",
        "identifier": {"value": "3456789012098", "scheme": "0088"},
        "contact": {"name": "John Doe", "phone": "5121230", "email": "john@buyercompany.no"},
    },
    # BT-113 1000.00: a paid prepayment invoice of 800.00 + 25 % VAT that this invoice deducts (which
    # also names it in BG-3; the example says nothing of where the 1000.00 came from).
    prepayment=("2013-06-01", {"description": "Prepayment", "lines": [line("Prepayment", "1", 80000, "25")]}),
    invoice={
        "description": "Ordered in our booth at the convention", "days_until_due": 20,
        "tax_point_date": "2013-06-30",
        # The invoicing period (BG-14) and the actual delivery date in it (BT-72).
        "period": {"start": "2013-06-01", "end": "2013-06-30"}, "supply_date": "2013-06-15",
        "purchase_order": "123",
        "references": {"contract": "Contract321", "buyer_accounting_reference": "Project cost code 123"},
        "supporting_documents": [
            {"id": "Doc1", "description": "Timesheet", "url": "http://www.suppliersite.eu/sheet001.html"},
            # The example's test.pdf holds the text "Testing Base64 encoding", which is no PDF: the API
            # checks an attachment's bytes against its type, so a minimal PDF stands in for it.
            {"id": "Doc2", "attachment": {"filename": "test.pdf", "mime_code": "application/pdf",
                                          "content_base64": base64.b64encode(PDF).decode()}}],
        "delivery": {"location_id": {"value": "6754238987643", "scheme": "0088"},
                     "address": address("Deliverystreet 2", "DeliveryCity", "523427", "NO", line2="Side door",
                                        state="RegionD")},
        "payment_terms": "2 % discount if paid within 2 days\nPenalty percentage 10% from due date",
        "remittance_information": "0003434323213231",
        # The example's allowance reason code 75 is not in UNCL 5189 as the CEN rules check it
        # (BR-CL-19), so the API refuses it: the default, 95 (discount), is stated instead.
        "discounts": [{"description": "Promotion discount", "amount_off": 10000, "tax_rate": {"percent": "25"}}],
        "charges": [{"description": "Freight", "amount": 10000, "tax_rate": {"percent": "25"}}],
        "lines": [
            # The example prices 2 laptops at 1273.00 each (base quantity 1) yet states a line amount
            # of 1273.00: its own figures disagree. The line amount is the example's: 2 at 636.50.
            # Its price discount (BT-147, 225.00) cannot go with the halved price: left out.
            line("Laptop computer", "2", 63650, "25", unit_code="EA", note="Scratch on box",
                 accounting_reference="BookingCode001", order_line_reference="1",
                 period={"start": "2013-06-01", "end": "2013-06-30"},
                 discounts=[{"description": "Damage", "amount_off": 1200}],
                 charges=[{"description": "Testing", "amount": 1200}],
                 item={"description": "Processor: Intel Core 2 Duo SU9400 LV (1.4GHz). RAM: 3MB. Screen 1440x900",
                       "seller_item_id": "JB007", "standard_id": {"value": "1234567890128", "scheme": "0088"},
                       "origin_country": "DE",
                       "classifications": [{"code": "12344321", "list_id": "ZZZ"},
                                           {"code": "65434568", "list_id": "STI"}],
                       "attributes": [{"name": "Color", "value": "Black"}]}),
            line('Returned "Advanced computing" book', "-1", 396, "15", unit_code="EA",
                 note="Cover is slightly damaged.", accounting_reference="BookingCode002", order_line_reference="5",
                 item={"seller_item_id": "JB008", "standard_id": {"value": "1234567890135", "scheme": "0088"},
                       "classifications": [{"code": "32344324", "list_id": "ZZZ"},
                                           {"code": "65434567", "list_id": "STI"}]}),
            # Net price 2.48 (the gross 2.70 and price discount 0.27 noted from the example do not give
            # it, 2.43: BT-148/BT-147 left out).
            line('"Computing for dummies" book', "2", 248, "15", unit_code="EA",
                 accounting_reference="BookingCode003", order_line_reference="3",
                 item={"seller_item_id": "JB009", "standard_id": {"value": "1234567890135", "scheme": "0088"},
                       "classifications": [{"code": "32344324", "list_id": "ZZZ"},
                                           {"code": "65434567", "list_id": "STI"}]}),
            line("Returned IBM 5150 desktop", "-1", 2500, "0", category="E",
                 exemption_reason="Exempt New Means of Transport", unit_code="EA",
                 accounting_reference="BookingCode004", order_line_reference="2",
                 item={"seller_item_id": "JB010", "standard_id": {"value": "1234567890159", "scheme": "0088"},
                       "classifications": [{"code": "12344322", "list_id": "ZZZ"},
                                           {"code": "65434565", "list_id": "STI"}]}),
            line("Network cable", "250", 75, "25", unit_code="MTR", accounting_reference="BookingCode005",
                 item={"seller_item_id": "JB011", "standard_id": {"value": "1234567890166", "scheme": "0088"},
                       "classifications": [{"code": "12344325", "list_id": "ZZZ"},
                                           {"code": "65434564", "list_id": "STI"}],
                       "attributes": [{"name": "Type", "value": "Cat5"}]}),
        ],
    },
    totals=totals("1436.50", "100.00", "100.00", "1436.50", "365.28", "1801.78", "1000.00", "0", "801.78"),
    vat=[vat("S", "25", "1460.50", "365.13"), vat("S", "15", "1.00", "0.15"), vat("E", "0", "-25.00", "0.00")],
    lines=["1273.00", "-3.96", "4.96", "-25.00", "187.50"],
)

# The examples' Danish VAT number DK16356706 fails its check digit (MOD11), and so does DK123456789MVA
# (example 6), and the IBAN DK1212341234123412: the nearest valid ones stand in for them.
DANISH_SELLER = {
    "address": address("Main street 2, Building 4", "Big city", "54321", "DK"),
    "tax_ids": [{"type": "eu_vat", "value": "DK16356700"}], "legal_registration_id": "DK16356706",
    "iban": "DK5000400440116243",
}
DANISH_BUYER = {
    "name": "Buyercompany ltd", "currency": "DKK", "email": "invoice@buyercompany.example",
    "address": address("Anystreet, Building 1", "Anytown", "101", "DK"),
}
PAPER_PENS_COOKIES_NETS = ["1000.00", "500.00", "2500.00"]

EXAMPLE3 = Example(
    file="ubl-tc434-example3.xml", currency="DKK", issue_date="2013-04-10", due_date="2013-05-10",
    account={**DANISH_SELLER, "name": "SubscriptionSeller", "contact": {"email": "antonio@SubscriptionsSeller.dk"},
             "identifiers": [{"value": "1238764941386", "scheme": "0088"}]},
    # The buyer's Norwegian VAT number (NO987654321MVA) on a Danish buyer is left out; its check digit fails.
    customer={**DANISH_BUYER, "identifier": {"value": "5790000435975", "scheme": "0088"},
              "legal_registration_id": "987654321"},
    invoice={
        "description": "Contract was established through our website", "days_until_due": 30,
        "period": {"start": "2013-01-01", "end": "2013-04-01"}, "references": {"contract": "SUBSCR571"},
        "remittance_information": "Payref1",
        "charges": [{"description": "Freight charge", "amount": 10000, "tax_rate": {"percent": "25"}}],
        "lines": [
            # Like example 2's first line, the example states quantity 2 at 800.00 and a line amount
            # of 800.00: the line amount is the example's, 2 at 400.00.
            line("Paper subscription", "2", 40000, "25", unit_code="EA",
                 item={"description": "Subscription fee 1st quarter"}),
            line("Paper subscription", "2", 40000, "10", unit_code="EA",
                 item={"description": "Subscription fee 1st quarter"}),
        ],
    },
    totals=totals("1600.00", "0", "100.00", "1700.00", "305.00", "2005.00", "0", "0", "2005.00"),
    vat=[vat("S", "25", "900.00", "225.00"), vat("S", "10", "800.00", "80.00")],
    lines=["800.00", "800.00"],
)

EXAMPLE4 = Example(
    file="ubl-tc434-example4.xml", currency="DKK", issue_date="2013-04-10", due_date="2013-05-10",
    account={**DANISH_SELLER, "name": "SellerCompany",
             "contact": {"name": "Anthon Larsen", "phone": "+4598989898", "email": "antonio@SubscriptionsSeller.dk"},
             "identifiers": [{"value": "5790000436101", "scheme": "0088"}]},
    customer={**DANISH_BUYER, "identifier": {"value": "5790000436057", "scheme": "0088"},
              "contact": {"name": "John Hansen"}},
    invoice={
        "description": "Ordered through our website", "days_until_due": 30, "purchase_order": "123",
        "supply_date": "2013-04-15", "remittance_information": "Payref1",
        "delivery": {"address": address("Deliverystreet", "Deliverycity", "9000", "DK")},
        "lines": [
            line("Printing paper", "1000", 100, "25", unit_code="EA",
                 item={"description": "Printing paper, 2mm", "seller_item_id": "JB007"}),
            line("Parker Pen", "100", 500, "25", unit_code="EA",
                 item={"description": "Parker Pen, Black, model Sansa", "seller_item_id": "JB008"}),
            line("American Cookies", "500", 500, "12", unit_code="EA", item={"seller_item_id": "JB009"}),
        ],
    },
    totals=totals("4000.00", "0", "0", "4000.00", "675.00", "4675.00", "0", "0", "4675.00"),
    vat=[vat("S", "25", "1500.00", "375.00"), vat("S", "12", "2500.00", "300.00")],
    lines=PAPER_PENS_COOKIES_NETS,
)

EXAMPLE5 = Example(
    file="ubl-tc434-example5.xml", currency="DKK", issue_date="2013-04-10", due_date="2013-05-10",
    account={
        "name": "SellerCompany", "trading_name": "SelCo",
        "address": address("Hoofdstraat 4", "Grootstad", "54321", "NL", line2="Om de hoek", state="Overijssel"),
        # NL16356706 is no Dutch VAT number (nine digits, B, two digits): a valid one stands in for it.
        "tax_ids": [{"type": "eu_vat", "value": "NL123456782B01"}], "legal_registration_id": "NL16356706",
        "additional_legal_info": "Export",
        "contact": {"name": "Anthon Larsen", "phone": "+3198989898", "email": "Anthon@Selco.nl"},
        "identifiers": [{"value": "5790000436101", "scheme": "0088"}],
        # The example's scheme EMAIL is not an EAS code; EM is (BR-CL-25).
        "electronic_address": {"scheme": "EM", "value": "info@selco.nl"},
        "payee": {"name": "Dagobert Duck", "identifier": {"value": "DK16356608"},
                  "legal_registration_id": "DK16356608"},
        # DK16356609 fails its check digit: DK16356611 stands in for the tax representative's.
        "tax_representative": {"name": "Dick Panama", "vat_id": "DK16356611",
                               "address": address("Anystreet, Building 1", "Anytown", "101", "DK",
                                                  line2="6th floor", state="Jutland")},
        # Payment by direct debit (means 49, mandate 123456, BG-19) in DKK is not reproduced: a direct
        # debit here is SEPA's (59), in euro only. The account states no payment means of its own.
    },
    customer={
        "name": "Buyercompany ltd", "trading_name": "Buyco", "currency": "DKK",
        "email": "john.hansen@buyercompany.dk",
        "address": address("Anystreet, Building 1", "Anytown", "101", "DK", line2="5th floor", state="Jutland"),
        # DK16356607 fails its check digit: DK16356603 stands in for it.
        "tax_ids": [{"type": "eu_vat", "value": "DK16356603"}], "legal_registration_id": "DK16356607",
        "identifier": {"value": "5790000436057", "scheme": "0088"},
        "contact": {"name": "John Hansen", "phone": "+4598989898", "email": "john.hansen@buyercompany.dk"},
        "electronic_address": {"scheme": "EM", "value": "info@buyercompany.dk"},
    },
    # BT-113 2337.50, "Half prepaid": the prepayment invoice of 2013-03-10 (the example's BG-3 names
    # TOSL109 of that day), 1870.00 + 25 % VAT, paid, deducted here.
    prepayment=("2013-03-10", {"description": "50% prepaid", "lines": [line("Prepayment", "1", 187000, "25")]}),
    invoice={
        "description": "Ordered through our website#Ordering information", "days_until_due": 30,
        "buyer_reference": "qwerty", "purchase_order": "PO4711",
        "period": {"start": "2013-03-10", "end": "2013-04-10"}, "supply_date": "2013-04-15",  # BG-14, BT-72
        "tax_currency_rate": {"rate": "0.93129", "currency": "EUR"},  # 675.00 DKK -> 628.62 EUR, as the example
        "references": {"buyer_accounting_reference": "67543", "sales_order": "123", "despatch_advice": "5433",
                       "receiving_advice": "3544", "tender_or_lot": "Lot567", "contract": "2013-05",
                       "project": "Project345"},
        "supporting_documents": [
            {"id": "OBJ999", "description": "ATS"},
            {"id": "sales slip", "description": "your sales slip",
             "attachment": {"filename": "EHF.pdf", "mime_code": "application/pdf",
                            "content_base64": base64.b64encode(PDF).decode()}}],
        # The deliver-to location 5790000436068 has no scheme in the example (and is no valid GLN).
        "delivery": {"name": "Logistic service Ltd", "location_id": {"value": "5790000436068"},
                     "address": address("Deliverystreet", "Deliverycity", "9000", "DK", line2="Gate 15",
                                        state="Jutland")},
        "payment_terms": "50% prepaid, 50% within one month", "remittance_information": "Payref1",
        "discounts": [{"description": "Loyal customer", "percent_off": "10", "reason_code": "100",
                       "tax_rate": {"percent": "25"}}],
        "charges": [{"description": "Packaging", "percent": "10", "reason_code": "ABL",
                     "tax_rate": {"percent": "25"}}],
        "lines": [
            # Net price 1.00: the example's gross 1.10 less its price discount 0.10 (BT-148, BT-147).
            line("Printing paper", "1000", 100, "25", unit_code="EA", note="first line",
                 gross_unit_amount=110, price_discount=10,
                 accounting_reference="ACC7654", order_line_reference="1", object_id={"value": "Object2"},
                 period={"start": "2013-03-10", "end": "2013-04-10"},
                 discounts=[{"description": "Loyal customer", "percent_off": "10", "reason_code": "100"}],
                 charges=[{"description": "Packaging", "percent": "10", "reason_code": "ABL"}],
                 item={"description": "Printing paper, 2mm", "buyer_item_id": "BUY123", "seller_item_id": "JB007",
                       "standard_id": {"value": "1234567890128", "scheme": "0088"}, "origin_country": "NL",
                       "classifications": [{"code": "12344321", "list_id": "ZZZ"}],
                       "attributes": [{"name": "Thickness", "value": "2 mm"}]}),
            line("Parker Pen", "100", 500, "25", unit_code="EA", note="second line", accounting_reference="ACC7654",
                 order_line_reference="2", object_id={"value": "Object2"},
                 period={"start": "2013-03-10", "end": "2013-04-10"},
                 item={"description": "Parker Pen, Black, model Sansa", "seller_item_id": "JB008",
                       "origin_country": "NL"}),
            line("American Cookies", "500", 500, "12", unit_code="EA", item={"seller_item_id": "JB009"}),
        ],
    },
    totals=totals("4000.00", "150.00", "150.00", "4000.00", "675.00", "4675.00", "2337.50", "0", "2337.50"),
    vat=[vat("S", "25", "1500.00", "375.00"), vat("S", "12", "2500.00", "300.00")],
    lines=PAPER_PENS_COOKIES_NETS, tax_currency=("EUR", "628.62"), gross_prices=[("1.00", "0.10", "1.10")],
)

EXAMPLE6 = Example(
    file="ubl-tc434-example6.xml", currency="DKK", issue_date="2013-04-10", due_date="2013-05-10",
    # The example's parties have a country and nothing else; the API's address needs a street and a
    # city, so example 4's (the same SellerCompany and Buyercompany ltd) stand in.
    account={**DANISH_SELLER, "name": "SellerCompany", "email": "billing@sellercompany.example"},
    customer=DANISH_BUYER,
    invoice={"days_until_due": 30, "lines": [
        line("Printing paper", "1000", 100, "25", unit_code="EA"),
        line("Parker Pen", "100", 500, "25", unit_code="EA"),
        line("American Cookies", "500", 500, "12", unit_code="EA"),
    ]},
    totals=totals("4000.00", "0", "0", "4000.00", "675.00", "4675.00", "0", "0", "4675.00"),
    vat=[vat("S", "25", "1500.00", "375.00"), vat("S", "12", "2500.00", "300.00")],
    lines=PAPER_PENS_COOKIES_NETS,
)

EXAMPLE7 = Example(
    file="ubl-tc434-example7.xml", currency="SEK", issue_date="2013-03-11",
    account={
        "name": "The Sellercompany Incorporated", "trading_name": "Civic Service Centre",
        "address": address("Main street 2, Building 4", "Big city", "54321", "SE"),
        # Not subject to VAT (O): no VAT number; the seller identifier (BT-29) identifies it (BR-CO-26).
        "identifiers": [{"value": "5532331183"}],
        "contact": {"name": "Anthon Larsen", "phone": "4698989898", "email": "Anthon@SellerCompany.se"},
        # SE1212341234123412 is no valid IBAN: the tests' Swedish one stands in for it. The BIC
        # SEXDABCD names no country ("AB"), so the API refuses it: left out.
        "iban": "SE4550000000058398257466",
    },
    customer={
        "name": "THe Buyercompany", "currency": "SEK", "email": "john@buyercompany.no",
        "address": address("Anystreet 8", "Anytown", "101", "SE", line2="Back door", state="RegionB"),
        "contact": {"name": "A3150bdn", "phone": "5121230", "email": "john@buyercompany.no"},
    },
    invoice={
        # The example has no due date (BT-9); an invoice here always has one (the account's 30 days).
        "description": "Testscenario 7", "period": {"start": "2013-01-01", "end": "2013-12-31"},
        "purchase_order": "Order_9988_x", "payment_terms": "Payment within 30 days",
        "lines": [
            line("Road tax", "1", 250000, "0", category="O", exemption_reason="Tax", unit_code="EA",
                 order_line_reference="1",
                 item={"description": "Weight-based tax, vehicles >3000 KGM", "seller_item_id": "RT3000"}),
            line("Road Register fee", "1", 70000, "0", category="O", exemption_reason="Tax", unit_code="EA",
                 item={"description": "Annual registration fee", "seller_item_id": "REG"}),
        ],
    },
    totals=totals("3200.00", "0", "0", "3200.00", "0.00", "3200.00", "0", "0", "3200.00"),
    # The example's breakdown states rate 0 for O; the writers state none (a rate "not applicable"):
    # the comparison below reads no rate as 0.
    vat=[vat("O", "0", "3200.00", "0.00")],
    lines=["2500.00", "700.00"],
)

ENEXIS_ATTRIBUTES = [{"name": "contract transportvermogen", "value": "132,00 kW"},
                     {"name": "transporttarief", "value": "Netvlak MSD Enexis"},
                     {"name": "netvlak", "value": "MS-D"}, {"name": "correctiefactor", "value": "1,0130"}]
ENEXIS_ITEM = {"attributes": ENEXIS_ATTRIBUTES}
EXAMPLE8 = Example(
    file="ubl-tc434-example8.xml", currency="EUR", issue_date="2014-11-10", due_date="2014-11-24",
    account={
        "name": "Enexis B.V.", "trading_name": "Enexis",
        "address": address("Magistratenlaan 116", "'S-HERTOGENBOSCH", "5223MB", "NL"),
        "tax_ids": [{"type": "eu_vat", "value": "NL809561074B01"}], "legal_registration_id": "17131139",
        "contact": {"email": "klantenservice.zakelijk@enexis.nl"}, "iban": "NL28RBOS0420242228",
    },
    customer={"name": "Klant", "currency": "EUR", "email": "facturen@klant.example",
              "address": address("Bedrijfslaan 4", "ONDERNEMERSTAD", "9999 XX", "NL"),
              "identifier": {"value": "1081119"}},
    invoice={
        "description": "Periodieke afrekening\nU vindt een toelichting op uw factuur via "
                       "www.enexis.nl/factuur_grootzakelijk\nOp alle diensten en overeenkomsten zijn de algemene "
                       "voorwaarden aansluiting en\ntransport grootverbruik elektriciteit, respectievelijk gas van "
                       "toepassing\nwww.enexis.nl",
        "days_until_due": 14, "tax_point_date": "2013-06-30", "period": {"start": "2014-08-01", "end": "2014-08-31"},
        "supporting_documents": [{"id": "871694831000290806", "description": "ATS"}],
        "delivery": {"address": address("Bedrijfslaan 4,", "ONDERNEMERSTAD", "9999 XX", "NL")},
        "payment_terms": "Enexis brengt wettelijke rente in rekening over te laat betaalde facturen. Kijk voor "
                         "informatie op www.enexis.nl/rentenota",
        "remittance_information": "1100512149",
        # Prices per base quantity (15.24 per 12 kW, 441.00 per 12 months) are given per unit, which
        # is the same price: 1.27 per kW, 36.75 per month. A price in cents with decimals is a string.
        "lines": [
            line("Getransporteerde kWh’s", "16000", "0.88", "21", unit_code="KWH", item=ENEXIS_ITEM),
            line("Systeemdiensten", "16000", "0.101", "21", unit_code="KWH", item=ENEXIS_ITEM),
            line("Contract transportvermogen", "132", 127, "21", unit_code="KW", item=ENEXIS_ITEM),
            line("Maximaal afgenomen vermogen", "58", 153, "21", unit_code="KW", item=ENEXIS_ITEM),
            line("Vastrecht Transportdienst", "1", 3675, "21", unit_code="MON", item=ENEXIS_ITEM),
            line("Vastrecht Aansluitdienst", "1", 5650, "21", unit_code="MON", item=ENEXIS_ITEM),
            line("Huur Transformatoren", "1", 8334, "21", unit_code="MON"),
            line("Huur Schakelinstallaties", "1", 19031, "21", unit_code="MON"),
            line("Huur Overige Apparaten", "1", 6421, "21", unit_code="MON"),
            line("Huur Meterdiensten", "1", 6446, "21", unit_code="MON"),
        ],
    },
    totals=totals("908.91", "0", "0", "908.91", "190.87", "1099.78", "0", "0", "1099.78"),
    vat=[vat("S", "21", "908.91", "190.87")],
    lines=["140.80", "16.16", "167.64", "88.74", "36.75", "56.50", "83.34", "190.31", "64.21", "64.46"],
)

EXAMPLE9 = Example(
    file="ubl-tc434-example9.xml", currency="EUR", issue_date="2015-04-01", due_date="2015-04-14",
    account={
        "name": "Bluem BV", "address": address("Lindeboomseweg 41", "Amersfoort", "3825 AL", "NL"),
        "tax_ids": [{"type": "eu_vat", "value": "NL809163160B01"}], "legal_registration_id": "32081330 Amersfoort",
        "contact": {"phone": "033-4549055", "email": "info@bluem.nl"},
        "iban": "NL13RABO0377815500", "bic": "RABONL2U",
    },
    customer={"name": "Provide Verzekeringen", "currency": "EUR", "email": "crediteuren@provide.example",
              "address": address("Henry Dunantweg 42", "Alphen aan den Rijn", "2402 NR", "NL")},
    invoice={
        "description": "Vriendelijk verzoeken wij u ervoor te zorgen dat het bedrag voor de vervaldatum op onze "
                       "rekening staat onder vermelding van\nhet factuurnummer. Het bankrekeningnummer is "
                       "37.78.15.500, Rabobank, t.n.v. Bluem te Amersfoort. Reclames gaarne binnen\n10 dagen. "
                       "Gelieve bij navraag en correspondentie uw firma naam en factuurnummer vermelden.",
        "days_until_due": 13, "period": {"start": "2016-04-01", "end": "2016-06-30"},
        "references": {"contract": "iExpress 20110412"}, "remittance_information": "2015 0483 0000 0000",
        "lines": [line("IExpress licentiekosten", "3", 4900, "21", unit_code="MON",
                       item={"attributes": [{"name": "Verbruikscategorie", "value": "Start"}]})],
    },
    totals=totals("147.00", "0", "0", "147.00", "30.87", "177.87", "0", "0", "177.87"),
    vat=[vat("S", "21", "147.00", "30.87")],
    lines=["147.00"],
)

# The credit note: EN 16931 lets a credit note name no invoice (BG-3 is optional); here a credit
# note always credits one of this system's invoices, so the invoice it credits is made first (the
# same line) and credited in full, both on the customer's test clock at the example's issue date.
# The credit note then also names the invoice (BG-3).
EXAMPLE_CREDIT_NOTE = Example(
    file="ubl-tc434-creditnote1.xml", currency="EUR", issue_date="2019-09-23", credit_note=True,
    account={
        "name": "My Supplier Company", "trading_name": "My Supplier Company N.V.",
        "address": address("De Grote Meir 22", "ANTWERPEN", "2000", "BE"),
        "tax_ids": [{"type": "eu_vat", "value": "BE0000000196"}], "legal_registration_id": "0000000196",
        # The example's scheme 9956 (the Belgian KBO) is no longer in the EAS list the CEN rules check
        # (BR-CL-25); 0208, the Belgian enterprise number, took its place.
        "electronic_address": {"scheme": "0208", "value": "0000000196"},
        "contact": {"email": "john.doole@mysuppliercompany.be"}, "iban": "BE91000000143476", "bic": "BPOTBEB1",
    },
    customer={
        "name": "My Customer Company", "trading_name": "My Customer Company S.A.", "currency": "EUR",
        "email": "pete.smith@mycustomercompany.be",
        "address": address("Boulevard Sint Michel 53", "BRUXELLES", "1000", "BE"),
        "tax_ids": [{"type": "eu_vat", "value": "BE0000000295"}], "legal_registration_id": "0000000295",
        "electronic_address": {"scheme": "0208", "value": "0000000295"},
        "contact": {"email": "pete.smith@mycustomercompany.be"},
    },
    invoice={
        "buyer_reference": "018304 / 28865", "period": {"start": "2019-02-01", "end": "2019-02-28"},
        "lines": [line("Exonération du versement du PP", "1", 10011, "0", category="E",
                       exemption_reason="Taxes are not applicable",
                       item={"description": "Exonération du versement du PP", "seller_item_id": "V55",
                             "attributes": [{"name": "2", "value": "Contributions - précompte professionnel"}]})],
    },
    totals=totals("100.11", "0", "0", "100.11", "0.00", "100.11", "0", "0", "100.11"),
    vat=[vat("E", "0", "100.11", "0.00")],
    lines=["100.11"],
)

EXAMPLES = [EXAMPLE1, EXAMPLE2, EXAMPLE3, EXAMPLE4, EXAMPLE5, EXAMPLE6, EXAMPLE7, EXAMPLE8, EXAMPLE9, EXAMPLE10,
            EXAMPLE_CREDIT_NOTE]


# --- reading the figures back ------------------------------------------------------------------------

def _amount(node: Any, path: str, ns: dict[str, str]) -> Decimal:
    text = node.findtext(path, namespaces=ns)
    return Decimal(text) if text is not None else Decimal(0)


def _iso(text: str | None) -> str | None:
    """A CII date (format 102, 20150109) as ISO 8601."""
    return f"{text[:4]}-{text[4:6]}-{text[6:]}" if text else None


# Where each total is, in each syntax (BT-110 is the VAT total in the document's currency, read apart).
UBL_TOTALS = {"BT-106": "LineExtensionAmount", "BT-107": "AllowanceTotalAmount", "BT-108": "ChargeTotalAmount",
              "BT-109": "TaxExclusiveAmount", "BT-112": "TaxInclusiveAmount", "BT-113": "PrepaidAmount",
              "BT-114": "PayableRoundingAmount", "BT-115": "PayableAmount"}
CII_TOTALS = {"BT-106": "LineTotalAmount", "BT-107": "AllowanceTotalAmount", "BT-108": "ChargeTotalAmount",
              "BT-109": "TaxBasisTotalAmount", "BT-112": "GrandTotalAmount", "BT-113": "TotalPrepaidAmount",
              "BT-114": "RoundingAmount", "BT-115": "DuePayableAmount"}


def _split(amounts: list[Any], currency: str | None) -> tuple[Decimal, tuple[str, Decimal] | None]:
    """BT-110 (the amount in the document's currency) and the VAT in the other currency, if any."""
    vat_total = next(a for a in amounts if a.get("currencyID") == currency)
    other = [(a.get("currencyID"), Decimal(a.text)) for a in amounts if a is not vat_total]
    return Decimal(vat_total.text), other[0] if other else None


def ubl_figures(xml: bytes) -> dict[str, Any]:
    """BT-106 … BT-115, the VAT breakdowns, the lines' net amounts and the VAT in another currency,
    as the UBL document states them."""
    ns = {"cbc": CBC, "cac": CAC}
    root = etree.fromstring(xml)
    total = root.find("cac:LegalMonetaryTotal", ns)
    tax_totals = root.findall("cac:TaxTotal", ns)
    bt110, tax_currency = _split([t.find("cbc:TaxAmount", ns) for t in tax_totals],
                                 root.findtext("cbc:DocumentCurrencyCode", namespaces=ns))
    breakdown = [sub for t in tax_totals for sub in t.findall("cac:TaxSubtotal", ns)]
    return {
        "header": {"BT-2": root.findtext("cbc:IssueDate", namespaces=ns),
                   "BT-5": root.findtext("cbc:DocumentCurrencyCode", namespaces=ns),
                   "BT-9": root.findtext("cbc:DueDate", namespaces=ns),
                   "BT-72": root.findtext("cac:Delivery/cbc:ActualDeliveryDate", namespaces=ns)},
        "totals": {bt: _amount(total, f"cbc:{name}", ns) for bt, name in UBL_TOTALS.items()} | {"BT-110": bt110},
        "vat": [(sub.findtext("cac:TaxCategory/cbc:ID", namespaces=ns),
                 _amount(sub, "cac:TaxCategory/cbc:Percent", ns), _amount(sub, "cbc:TaxableAmount", ns),
                 _amount(sub, "cbc:TaxAmount", ns)) for sub in breakdown],
        "lines": [_amount(ln, "cbc:LineExtensionAmount", ns)
                  for ln in root.findall("cac:InvoiceLine", ns) + root.findall("cac:CreditNoteLine", ns)],
        "tax_currency": tax_currency,
        "gross_prices": [
            (_amount(price, "cbc:PriceAmount", ns), _amount(price, "cac:AllowanceCharge/cbc:Amount", ns),
             _amount(price, "cac:AllowanceCharge/cbc:BaseAmount", ns))
            for price in root.findall(".//cac:Price", ns) if price.find("cac:AllowanceCharge", ns) is not None],
    }


def cii_figures(xml: bytes) -> dict[str, Any]:
    """The same figures as the CII document states them."""
    ns = {"ram": RAM}
    root = etree.fromstring(xml)
    settlement = root.find(".//ram:ApplicableHeaderTradeSettlement", ns)
    summary = settlement.find("ram:SpecifiedTradeSettlementHeaderMonetarySummation", ns)
    bt110, tax_currency = _split(summary.findall("ram:TaxTotalAmount", ns),
                                 settlement.findtext("ram:InvoiceCurrencyCode", namespaces=ns))
    line_total = ("ram:SpecifiedLineTradeSettlement/ram:SpecifiedTradeSettlementLineMonetarySummation/"
                  "ram:LineTotalAmount")
    items = root.findall(".//ram:IncludedSupplyChainTradeLineItem", ns)
    udt = {"udt": UDT}
    return {
        "header": {"BT-2": _iso(root.findtext(".//rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString",
                                              namespaces={**ns, **udt, "rsm": RSM})),
                   "BT-5": settlement.findtext("ram:InvoiceCurrencyCode", namespaces=ns),
                   "BT-9": _iso(settlement.findtext("ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/"
                                                    "udt:DateTimeString", namespaces={**ns, **udt})),
                   "BT-72": _iso(root.findtext(".//ram:ApplicableHeaderTradeDelivery/ram:ActualDeliverySupplyChainEvent"
                                               "/ram:OccurrenceDateTime/udt:DateTimeString",
                                               namespaces={**ns, **udt}))},
        "totals": {bt: _amount(summary, f"ram:{name}", ns) for bt, name in CII_TOTALS.items()} | {"BT-110": bt110},
        "vat": [(tax.findtext("ram:CategoryCode", namespaces=ns), _amount(tax, "ram:RateApplicablePercent", ns),
                 _amount(tax, "ram:BasisAmount", ns), _amount(tax, "ram:CalculatedAmount", ns))
                for tax in settlement.findall("ram:ApplicableTradeTax", ns)],
        "lines": [_amount(item, line_total, ns) for item in items],
        "tax_currency": tax_currency,
        "gross_prices": [
            (_amount(agreement, "ram:NetPriceProductTradePrice/ram:ChargeAmount", ns),
             _amount(agreement, "ram:GrossPriceProductTradePrice/ram:AppliedTradeAllowanceCharge/ram:ActualAmount", ns)
             if agreement.find("ram:GrossPriceProductTradePrice/ram:AppliedTradeAllowanceCharge", ns) is not None
             else Decimal(0),
             _amount(agreement, "ram:GrossPriceProductTradePrice/ram:ChargeAmount", ns))
            for agreement in root.findall(".//ram:SpecifiedLineTradeAgreement", ns)
            if agreement.find("ram:GrossPriceProductTradePrice", ns) is not None],
    }


# --- the requests --------------------------------------------------------------------------------

def finalize_on(stack: HandlerStack, clock: dict[str, Any], day: str, draft: dict[str, Any]) -> dict[str, Any]:
    """Move the test clock to `day` (if it is not there) and finalize the draft on it."""
    if not clock["frozen_time"].startswith(day):
        clock = stack.ok("POST", f"/test_clocks/{clock['id']}/advance", {"frozen_time": f"{day}T09:00:00Z"})
    assert [i for i in draft["validation_issues"] if i["blocking"]] == [], draft["validation_issues"]
    invoice = stack.ok("POST", f"/invoices/{draft['id']}/finalize")
    assert invoice["issue_date"] == day
    return invoice


def rebuild(stack: HandlerStack, example: Example) -> tuple[bytes, bytes]:
    """The example through the API; its UBL and CII documents."""
    stack.ok("POST", "/account", example.account)
    first_day = example.prepayment[0] if example.prepayment else example.issue_date
    clock = stack.ok("POST", "/test_clocks", {"frozen_time": f"{first_day}T09:00:00Z"})
    customer = stack.ok("POST", "/customers", {**example.customer, "test_clock": clock["id"]})
    body = {"customer": customer["id"], **example.invoice}
    if example.prepayment:
        day, prepayment = example.prepayment
        draft = stack.ok("POST", "/invoices", {"customer": customer["id"], "prepayment": True, **prepayment})
        paid = stack.ok("POST", f"/invoices/{finalize_on(stack, clock, day, draft)['id']}/pay")
        assert paid["status"] == "paid"
        body["prepayments"] = [{"invoice": paid["id"]}]
        clock = stack.ok("GET", f"/test_clocks/{clock['id']}")
    invoice = finalize_on(stack, clock, example.issue_date, stack.ok("POST", "/invoices", body))
    if example.due_date:
        assert invoice["due_date"] == example.due_date
    path = f"/invoices/{invoice['id']}"
    if example.credit_note:
        note = stack.ok("POST", "/credit_notes", {"invoice": invoice["id"]})
        assert note["issue_date"].startswith(example.issue_date)  # on the customer's test clock
        path = f"/credit_notes/{note['id']}"
    assert stack.deliver()["failed"] == 0
    return tuple(stored(stack, stack.ok("GET", f"{path}/einvoice", query={"format": syntax}))  # type: ignore[return-value]
                 for syntax in ("ubl", "cii"))


def assert_rebuilt(stack: HandlerStack, example: Example) -> None:
    """The example rebuilt: its UBL and CII valid by the CEN rules, and both stating its figures."""
    ubl, cii = rebuild(stack, example)
    ubl_report, cii_report = validate_ubl(ubl), validate_cii(cii)
    assert ubl_report.ok, str(ubl_report)
    assert cii_report.ok, str(cii_report)
    # BT-9 where the example states one.
    header = {"BT-2": example.issue_date, "BT-5": example.currency, "BT-9": example.due_date,
              "BT-72": example.invoice.get("supply_date")}  # with an invoicing period too (examples 2, 5)
    if example.due_date is None:
        del header["BT-9"]
    golden = {"header": header, "totals": example.totals, "vat": example.vat,
              "lines": [Decimal(n) for n in example.lines],
              "tax_currency": (example.tax_currency[0], Decimal(example.tax_currency[1]))
              if example.tax_currency else None,
              "gross_prices": [tuple(map(Decimal, prices)) for prices in example.gross_prices]}
    for figures in (ubl_figures(ubl), cii_figures(cii)):
        figures["header"] = {bt: value for bt, value in figures["header"].items() if bt in header}
        assert figures == golden


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.file.removesuffix(".xml") for e in EXAMPLES])
def test_official_example_rebuilt_through_the_api(stack: HandlerStack, example: Example) -> None:
    assert_rebuilt(stack, example)
