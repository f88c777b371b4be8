"""Payment and VAT details (issue 12, items 7 and 8), in the PDF, the hosted page, UBL and CII.

Every document is validated by the official CEN rules (and the Peppol rules `peppol_findings`
re-states, SE-R-007 to SE-R-010 among them); amounts are checked against figures worked out by hand.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree
from pypdf import PdfReader

from invoicing.documents.einvoice.cii import invoice_to_cii
from invoicing.documents.einvoice.ubl import invoice_to_ubl
from invoicing.documents.einvoice.validation import validate_cii, validate_ubl
from invoicing.documents.hosted_page import render_hosted_page
from invoicing.documents.pdf import render_invoice_pdf
from invoicing.domain.errors import InvalidInput
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.party import Account, Customer
from invoicing.domain.payment_reference import creditor_reference, ocr_reference
from invoicing.domain.tax_currency import TaxCurrencyRate

from .cases import NOW, swedish_customer
from .cases import swedish_seller as document_seller
from .test_cii import NS as CII_NS
from .test_cii import assert_valid as assert_valid_cii
from .test_ubl import NS as UBL_NS
from .test_ubl import assert_valid, peppol_findings

BANKGIRO = "5402-9681"  # 5402968 and its check digit 1 (10-modulus)
PLUSGIRO = "4 78 12-3"


def swedish_seller(**changes: object) -> Account:
    """The document tests' Swedish seller, with `changes` validated as the API's account update does."""
    return document_seller().changed(changes)


def line(amount: str = "100000", **changes: object) -> InvoiceLine:
    return InvoiceLine(id="il_1", description="Takomläggning, arbete", quantity=Decimal(1),
                       unit_amount_decimal=Decimal(amount), **changes)  # type: ignore[arg-type]


def issued(seller: Account | None = None, customer: Customer | None = None, number: str = "INV-000042",
           **changes: object) -> Invoice:
    """A finalized invoice with both references, as the invoice service finalizes a Swedish seller's."""
    seller = seller or swedish_seller()
    customer = customer or swedish_customer()
    draft = Invoice(id=f"in_{number}", account_id=seller.id, customer_id=customer.id, currency=customer.currency,
                    lines=(line(),), created=NOW, **changes)  # type: ignore[arg-type]
    return draft.finalize(seller=seller, customer=customer, number=number, now=NOW, previous_totals=[],
                          payment_reference=creditor_reference(number), ocr_reference=ocr_reference(number))


def valid_xml(invoice: Invoice) -> tuple[etree._Element, etree._Element]:
    """The UBL and CII documents, each valid by the CEN rules (no finding at all)."""
    ubl, cii = invoice_to_ubl(invoice), invoice_to_cii(invoice)
    assert_valid(validate_ubl(ubl))
    assert_valid_cii(validate_cii(cii))
    universal = etree.fromstring(ubl)
    assert peppol_findings(universal) == []
    return universal, etree.fromstring(cii)


def pdf_text(invoice: Invoice) -> str:
    reader = PdfReader(io.BytesIO(render_invoice_pdf(invoice)))
    return " ".join(" ".join(page.extract_text().replace("\u00a0", " ").split()) for page in reader.pages)


def ubl_texts(root: etree._Element, path: str) -> list[str]:
    return [str(e if isinstance(e, str) else e.text) for e in root.xpath(path, namespaces=UBL_NS)]


def cii_texts(root: etree._Element, path: str) -> list[str]:
    return [str(e if isinstance(e, str) else e.text) for e in root.xpath(path, namespaces=CII_NS)]


SETTLEMENT = "//ram:ApplicableHeaderTradeSettlement/"


# --- Bankgiro and Plusgiro ---------------------------------------------------------------------------


def test_a_swedish_seller_with_only_a_bankgiro_account_is_paid_to_it_in_the_pdf_and_both_xmls() -> None:
    seller = swedish_seller(iban=None, bic=None, bankgiro=BANKGIRO)
    assert seller.bankgiro == "54029681"  # stored as the digits the e-invoice writes
    invoice = issued(seller, swedish_customer(locale="sv"))
    ocr = invoice.ocr_reference
    assert ocr is not None

    universal, cross = valid_xml(invoice)

    # UBL, as Swedish Peppol practice writes it: code 30, the digits, SE:BANKGIRO (SE-R-007 .. SE-R-009).
    assert ubl_texts(universal, "cac:PaymentMeans/cbc:PaymentMeansCode") == ["30"]
    assert ubl_texts(universal, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == ["54029681"]
    assert ubl_texts(universal, "cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID") \
        == ["SE:BANKGIRO"]
    assert ubl_texts(universal, "cac:PaymentMeans/cbc:PaymentID") == [creditor_reference("INV-000042")]
    # CII: the same account as a proprietary id (it is no IBAN), the institution as BT-86.
    means = SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/"
    assert cii_texts(cross, means + "ram:TypeCode") == ["30"]
    assert cii_texts(cross, means + "ram:PayeePartyCreditorFinancialAccount/ram:ProprietaryID") == ["54029681"]
    assert cii_texts(cross, means + "ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == []
    assert cii_texts(cross, means + "ram:PayeeSpecifiedCreditorFinancialInstitution/ram:BICID") == ["SE:BANKGIRO"]

    # The PDF prints it as Swedes write it, with the OCR number a Bankgiro payment quotes.
    printed = pdf_text(invoice)
    assert "Bankgiro 5402-9681" in printed
    assert f"OCR-nummer {ocr}" in printed
    assert "IBAN" not in printed
    # And so does the hosted page.
    page = render_hosted_page(invoice, token="t.s", today=NOW.date(), pdf_ready=False, can_pay_online=False,
                              form_token="f").html
    assert "<dt>Bankgiro</dt><dd class=\"\">5402-9681</dd>" in page
    assert ocr in page


def test_an_iban_a_bankgiro_and_a_plusgiro_are_three_payment_means_of_one_invoice() -> None:
    seller = swedish_seller(bankgiro=BANKGIRO, plusgiro=PLUSGIRO)
    invoice = issued(seller, swedish_customer(currency="SEK"))

    universal, cross = valid_xml(invoice)

    assert ubl_texts(universal, "cac:PaymentMeans/cbc:PaymentMeansCode") == ["30", "30", "30"]
    assert ubl_texts(universal, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID") == [
        "SE4550000000058398257466", "54029681", "478123"]
    assert ubl_texts(universal, "cac:PaymentMeans/cac:PayeeFinancialAccount/cac:FinancialInstitutionBranch/cbc:ID") \
        == ["ESSESESS", "SE:BANKGIRO", "SE:PLUSGIRO"]
    means = SETTLEMENT + "ram:SpecifiedTradeSettlementPaymentMeans/"
    assert cii_texts(cross, means + "ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == [
        "SE4550000000058398257466"]
    assert cii_texts(cross, means + "ram:PayeePartyCreditorFinancialAccount/ram:ProprietaryID") == [
        "54029681", "478123"]
    printed = pdf_text(invoice)
    assert "Bankgiro 5402-9681" in printed and "Plusgiro 4 78 12-3" in printed
    assert printed.index("IBAN") < printed.index("Bankgiro") < printed.index("Plusgiro")


@pytest.mark.parametrize(("field", "value", "why"), [
    ("bankgiro", "5402-9682", "check digit"),
    ("bankgiro", "540-968", "7 to 8 digits"),
    ("bankgiro", "SE45 5000", "digits only"),
    ("plusgiro", "4 78 12-4", "check digit"),
    ("plusgiro", "1234567897", "2 to 8 digits"),
])
def test_a_giro_number_with_a_wrong_check_digit_or_length_is_refused(field: str, value: str, why: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        swedish_seller().changed({field: value})
    assert why in refused.value.message
    assert refused.value.param == field


def test_no_account_at_all_is_payment_means_1_instrument_not_defined() -> None:
    invoice = issued(swedish_seller(iban=None, bic=None))
    universal, _ = valid_xml(invoice)
    assert ubl_texts(universal, "cac:PaymentMeans/cbc:PaymentMeansCode") == ["1"]


# --- remittance information and payment terms ------------------------------------------------------------


def test_the_sellers_remittance_information_and_terms_replace_the_defaults_in_both_syntaxes() -> None:
    invoice = issued(remittance_information="Projekt 4711 / Lindqvist",
                     payment_terms="30 dagar netto, dröjsmålsränta enligt räntelagen")
    universal, cross = valid_xml(invoice)

    assert ubl_texts(universal, "cac:PaymentMeans/cbc:PaymentID") == ["Projekt 4711 / Lindqvist"]
    assert cii_texts(cross, SETTLEMENT + "ram:PaymentReference") == ["Projekt 4711 / Lindqvist"]
    assert ubl_texts(universal, "cac:PaymentTerms/cbc:Note") == ["30 dagar netto, dröjsmålsränta enligt räntelagen"]
    assert cii_texts(cross, SETTLEMENT + "ram:SpecifiedTradePaymentTerms/ram:Description") == [
        "30 dagar netto, dröjsmålsränta enligt räntelagen"]
    printed = pdf_text(invoice)
    assert "Payment reference Projekt 4711 / Lindqvist" in printed
    assert "30 dagar netto, dröjsmålsränta enligt räntelagen" in printed


def test_by_default_the_rf_reference_and_an_account_can_choose_the_ocr_number() -> None:
    rf = issued()
    assert ubl_texts(valid_xml(rf)[0], "cac:PaymentMeans/cbc:PaymentID") == [creditor_reference("INV-000042")]
    ocr = issued(swedish_seller(remittance_reference="ocr"))
    universal, cross = valid_xml(ocr)
    assert ubl_texts(universal, "cac:PaymentMeans/cbc:PaymentID") == [ocr_reference("INV-000042")]
    assert cii_texts(cross, SETTLEMENT + "ram:PaymentReference") == [ocr_reference("INV-000042")]


# --- VAT in the national currency (Art. 230) -------------------------------------------------------------


def test_a_eur_invoice_of_a_swedish_seller_states_its_vat_in_sek_at_the_given_rate() -> None:
    # By hand: 1 000.00 EUR at 25 % is 250.00 EUR of VAT; 250.00 x 11.4523 = 2 863.075 SEK, half up 2 863.08.
    rate = TaxCurrencyRate(currency="SEK", rate=Decimal("11.4523"), source="ECB reference rate",
                           rate_date=date(2026, 3, 13))
    invoice = issued(customer=swedish_customer(currency="EUR"), tax_currency_rate=rate)
    assert invoice.currency == "EUR" and invoice.totals is not None and invoice.totals.tax == 25000
    assert invoice.tax_in_tax_currency == 286308

    universal, cross = valid_xml(invoice)

    assert ubl_texts(universal, "cbc:TaxCurrencyCode") == ["SEK"]
    assert [(e.text, e.get("currencyID")) for e in universal.xpath("cac:TaxTotal/cbc:TaxAmount", namespaces=UBL_NS)] \
        == [("250.00", "EUR"), ("2863.08", "SEK")]
    assert cii_texts(cross, SETTLEMENT + "ram:TaxCurrencyCode") == ["SEK"]
    summed = cross.xpath(SETTLEMENT + "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount",
                         namespaces=CII_NS)
    assert [(e.text, e.get("currencyID")) for e in summed] == [("250.00", "EUR"), ("2863.08", "SEK")]
    printed = pdf_text(invoice)
    assert "VAT in SEK: SEK2,863.08 (1 EUR = 11.4523 SEK, ECB reference rate, Mar 13, 2026)" in printed
    assert not invoice.validation_issues(swedish_seller(), swedish_customer(currency="EUR"), [])  # finalized


def test_without_a_rate_the_draft_warns_that_art_230_wants_the_vat_in_sek() -> None:
    draft = Invoice(id="in_1", account_id="acct_norrsken", customer_id="cus_lindqvist", currency="EUR",
                    lines=(line(),), created=NOW)
    seller, customer = swedish_seller(), swedish_customer(currency="EUR")
    issues = draft.priced(seller, customer, NOW.date()).validation_issues(seller, customer, [])
    assert [(i.code, i.blocking) for i in issues if i.code == "tax_currency_rate_missing"] == [
        ("tax_currency_rate_missing", False)]
    sek = draft.model_copy(update={"currency": "SEK"})
    customer_sek = swedish_customer(currency="SEK")
    assert all(i.code != "tax_currency_rate_missing"
               for i in sek.priced(seller, customer_sek, NOW.date()).validation_issues(seller, customer_sek, []))


# --- tax point date and code -----------------------------------------------------------------------------


def test_a_tax_point_date_is_bt_7_in_both_syntaxes_and_printed() -> None:
    invoice = issued(tax_point_date=date(2026, 3, 10))
    universal, cross = valid_xml(invoice)
    assert ubl_texts(universal, "cbc:TaxPointDate") == ["2026-03-10"]
    assert cii_texts(cross, SETTLEMENT + "ram:ApplicableTradeTax/ram:TaxPointDate/udt:DateString") == ["20260310"]
    assert "VAT date Mar 10, 2026" in pdf_text(invoice)


@pytest.mark.parametrize(("code", "cii_code", "words"), [("3", "5", "on the invoice date"),
                                                         ("35", "29", "on the delivery date"),
                                                         ("432", "72", "on payment")])
def test_a_tax_point_code_is_bt_8_uncl_2005_in_ubl_and_its_uncl_2475_twin_in_cii(code: str, cii_code: str,
                                                                                words: str) -> None:
    invoice = issued(tax_point_date_code=code)
    universal, cross = valid_xml(invoice)
    assert ubl_texts(universal, "cac:InvoicePeriod/cbc:DescriptionCode") == [code]
    assert cii_texts(cross, SETTLEMENT + "ram:ApplicableTradeTax/ram:DueDateTypeCode") == [cii_code]
    assert f"VAT due {words}" in pdf_text(invoice)


# --- prepayment invoices ---------------------------------------------------------------------------------


def test_a_prepayment_invoice_is_type_386_and_says_so_in_each_language() -> None:
    for locale, heading in [("en", "Prepayment invoice"), ("sv", "Förskottsfaktura"), ("de", "Anzahlungsrechnung")]:
        invoice = issued(customer=swedish_customer(locale=locale), prepayment=True)
        universal, cross = valid_xml(invoice)
        assert ubl_texts(universal, "cbc:InvoiceTypeCode") == ["386"]
        assert cii_texts(cross, "//rsm:ExchangedDocument/ram:TypeCode") == ["386"]
        assert heading in pdf_text(invoice)


# --- domestic reverse charge (Swedish construction services) ---------------------------------------------


@pytest.mark.parametrize("how", ["customer", "tax_code"])
def test_a_domestic_reverse_charge_is_ae_with_its_legal_note_in_the_pdf_and_both_xmls(how: str) -> None:
    builder = swedish_customer(locale="sv", **({"tax_exempt": "reverse"} if how == "customer" else {}))
    seller = swedish_seller()
    draft = Invoice(id="in_1", account_id=seller.id, customer_id=builder.id, currency="SEK",
                    lines=(line(tax_code="reverse_charge") if how == "tax_code" else line(),), created=NOW)
    invoice = draft.finalize(seller=seller, customer=builder, number="INV-000042", now=NOW, previous_totals=[],
                             payment_reference=creditor_reference("INV-000042"))
    assert invoice.totals is not None
    assert (invoice.totals.tax, invoice.totals.total) == (0, 100000)  # no 25 %: the buyer accounts for it
    assert invoice.lines[0].tax is not None and invoice.lines[0].tax.category == "AE"

    universal, cross = valid_xml(invoice)

    category = "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/"
    assert ubl_texts(universal, category + "cbc:ID") == ["AE"]
    assert ubl_texts(universal, category + "cbc:TaxExemptionReasonCode") == ["VATEX-EU-AE"]
    assert ubl_texts(universal, category + "cbc:TaxExemptionReason")[0].startswith("Omvänd betalningsskyldighet")
    assert cii_texts(cross, SETTLEMENT + "ram:ApplicableTradeTax/ram:CategoryCode") == ["AE"]
    assert "Omvänd betalningsskyldighet: köparen redovisar momsen (omvänd betalningsskyldighet inom landet" \
        in pdf_text(invoice)


def test_a_domestic_reverse_charge_to_a_private_person_charges_vat_and_warns() -> None:
    seller, buyer = swedish_seller(), swedish_customer(tax_exempt="reverse", customer_type="individual", tax_ids=[])
    draft = Invoice(id="in_1", account_id=seller.id, customer_id=buyer.id, currency="SEK", lines=(line(),),
                    created=NOW).priced(seller, buyer, NOW.date())
    assert draft.totals is not None and draft.totals.tax == 25000
    assert ("reverse_charge_private_buyer", False) in [
        (i.code, i.blocking) for i in draft.validation_issues(seller, buyer, [])]


def test_a_domestic_reverse_charge_without_the_buyers_vat_number_blocks() -> None:
    seller, buyer = swedish_seller(), swedish_customer(tax_exempt="reverse", tax_ids=[])
    draft = Invoice(id="in_1", account_id=seller.id, customer_id=buyer.id, currency="SEK", lines=(line(),),
                    created=NOW).priced(seller, buyer, NOW.date())
    assert ("customer_tax_id_missing", True) in [
        (i.code, i.blocking) for i in draft.validation_issues(seller, buyer, [])]


def test_a_direct_debit_invoice_s_page_says_it_will_be_debited_and_offers_no_transfer() -> None:
    """The hosted page shows the PDF's payment details: the debit notice, the mandate and the creditor
    ID, under no "bank transfer" heading, without the EPC code or the pay button."""
    from .cases import case

    invoice = case("direct-debit-59").invoice
    page = render_hosted_page(invoice, token="t.s", today=NOW.date(), pdf_ready=False, can_pay_online=True,
                              form_token="f").html
    assert "will be debited from your account •••• 3000 under mandate MNDT-2026-0042" in page
    assert "SE41ZZZ5567037485" in page
    assert "SE45" not in page and "/pay" not in page and "data:image/svg" not in page and "Bank transfer" not in page


@pytest.mark.parametrize("locale, said", [
    ("en", "Card payment €2,490.00 will be charged to your card ending in 4242. You need not transfer anything."),
    ("sv", "Kortbetalning 2 490,00 € debiteras ert kort som slutar på 4242. Ni behöver inte betala in något."),
    ("de", "Kartenzahlung 2.490,00 € wird Ihrer Karte mit der Endung 4242 belastet. Bitte nicht überweisen."),
])
def test_a_card_paid_invoice_s_pdf_says_it_is_charged_to_the_card_and_asks_for_no_transfer(locale: str,
                                                                                          said: str) -> None:
    """Read back from the PDF: the card notice with the card's last digits, in the customer's language;
    no account of the seller's, no payment reference, no EPC code."""
    from .cases import card_payment

    invoice = card_payment().invoice
    assert invoice.customer_snapshot is not None
    invoice = invoice.model_copy(update={"customer_snapshot": invoice.customer_snapshot.model_copy(
        update={"locale": locale})})
    text = pdf_text(invoice)
    assert said in text, text
    assert "Card •••• 4242" in text if locale == "en" else "•••• 4242" in text
    assert "SE45" not in text and "RF69" not in text.replace(" ", "")  # no IBAN to pay into, no reference to quote


def test_a_card_paid_invoice_s_page_says_it_is_charged_and_offers_no_transfer() -> None:
    """The hosted page shows the PDF's payment details: the card notice, under no "bank transfer"
    heading, without the EPC code or the pay button."""
    from .cases import case

    page = render_hosted_page(case("card-54").invoice, token="t.s", today=NOW.date(), pdf_ready=False,
                              can_pay_online=True, form_token="f").html
    assert "will be charged to your card ending in 4242" in page
    assert "SE45" not in page and "/pay" not in page and "data:image/svg" not in page and "Bank transfer" not in page
