"""Finalized invoices built through the domain, for the document tests (and for looking at PDFs).

Everything goes through `Invoice.finalize`, so lines carry their tax and amounts exactly as
production invoices do.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from invoicing.domain.credit_note import CreditLineRequest, CreditNote, CreditRequest, issue_credit_note
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.party import (
    Account,
    Address,
    Branding,
    Customer,
    CustomField,
    LanguageTexts,
    SellerTexts,
    validated_tax_id,
)
from invoicing.domain.payment_reference import creditor_reference
from invoicing.domain.tax import TaxRate
from invoicing.domain.totals import Discount

NOW = datetime(2026, 3, 15, 9, 30, tzinfo=UTC)
# A hosted invoice page's link as the PDF prints it (its token: a locator and a 256-bit secret).
HOSTED_URL = ("https://billing.norrsken.example/i/YWNjdF9ub3Jyc2tlbi9pbl8wMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMQ"
              ".q3Jm0bV8f1xN2pK7cL4sW9eR6tY5uI0oP3aS8dF1gH2")

LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 220 48" width="220" height="48">'
    '<rect x="0" y="4" width="40" height="40" rx="8" fill="#0B5563"/>'
    '<path d="M11 34 L20 14 L29 34 Z" fill="#ffffff"/>'
    '<text x="52" y="34" font-family="Inter" font-weight="700" font-size="26" fill="#0B5563">Norrsken</text>'
    "</svg>"
)


def swedish_seller(**changes: object) -> Account:
    account = Account(
        id="acct_norrsken",
        name="Norrsken Analytics AB",
        email="billing@norrsken.example",
        phone="+46 8 123 456 78",
        website="norrsken.example",
        address=Address(line1="Sveavägen 44", city="Stockholm", postal_code="111 34", country="SE"),
        tax_ids=[validated_tax_id("eu_vat", "SE556677889901")],
        iban="SE4550000000058398257466",
        bic="ESSESESS",
        default_currency="SEK",
        default_locale="sv",
        days_until_due=30,
        legal_registration_id="5566778899",
        texts=SellerTexts(
            default_language="en",
            sv=LanguageTexts(
                message="Tack för att ni valt Norrsken! Här är er faktura för mars.",
                footer="Norrsken Analytics AB · Styrelsens säte: Stockholm · Godkänd för F-skatt",
            ),
            en=LanguageTexts(
                message="Thank you for choosing Norrsken! Here is your invoice for March.",
                footer="Norrsken Analytics AB · Registered office: Stockholm, Sweden · Approved for F-tax",
            ),
            de=LanguageTexts(
                message="Vielen Dank, dass Sie Norrsken gewählt haben! Hier ist Ihre Rechnung für März.",
                footer="Norrsken Analytics AB · Sitz der Gesellschaft: Stockholm, Schweden",
            ),
        ),
        branding=Branding(
            logo_svg=LOGO_SVG,
            primary_color="#0B5563",
            custom_fields=[CustomField(name="Kundnummer", value="K-1042")],
        ),
        created=datetime(2025, 1, 1, tzinfo=UTC),
    )
    return account.model_copy(update=changes)


def swedish_customer(**changes: object) -> Customer:
    customer = Customer(
        id="cus_lindqvist",
        account_id="acct_norrsken",
        name="Lindqvist & Söner Bygg AB",
        email="ekonomi@lindqvist.example",
        address=Address(line1="Kungsgatan 12", line2="Plan 3", city="Göteborg", postal_code="411 19",
                        country="SE"),
        tax_ids=[validated_tax_id("eu_vat", "SE556036079301")],
        locale="sv",
        currency="SEK",
        created=datetime(2025, 2, 1, tzinfo=UTC),
    )
    return customer.model_copy(update=changes)


def german_customer(**changes: object) -> Customer:
    customer = Customer(
        id="cus_brandt",
        account_id="acct_norrsken",
        name="Brandt Logistik GmbH",
        email="buchhaltung@brandt.example",
        address=Address(line1="Speicherstraße 7", city="Hamburg", postal_code="20457", country="DE"),
        tax_ids=[validated_tax_id("eu_vat", "DE136695976")],
        locale="de",
        currency="EUR",
        created=datetime(2025, 2, 1, tzinfo=UTC),
    )
    return customer.model_copy(update=changes)


def line(description: str, quantity: str, unit_amount_minor: str, n: int = 1, **changes: object) -> InvoiceLine:
    return InvoiceLine(id=f"il_{n}", description=description, quantity=Decimal(quantity),
                       unit_amount_decimal=Decimal(unit_amount_minor), **changes)


def finalized(
    lines: list[InvoiceLine],
    *,
    seller: Account | None = None,
    customer: Customer | None = None,
    currency: str | None = None,
    number: str = "INV-000001",
    payment_reference: str | None = None,
    **changes: object,
) -> Invoice:
    seller = seller or swedish_seller()
    customer = customer or swedish_customer()
    draft = Invoice(
        id="in_1",
        account_id=seller.id,
        customer_id=customer.id,
        currency=currency or customer.currency,
        lines=tuple(lines),
        created=NOW,
        **changes,
    )
    # As finalization assigns it in production: the RF creditor reference derived from the number.
    reference = payment_reference if payment_reference is not None else creditor_reference(number)
    return draft.finalize(seller=seller, customer=customer, number=number, now=NOW, previous_totals=[],
                          payment_reference=reference)


def swedish_invoice(**changes: object) -> Invoice:
    """One page, SEK, in Swedish: 3 lines, a line discount, an hourly line with a period."""
    return finalized(
        [
            line("Analysplattform – Team (mars 2026)", "1", "98760", 1,
                 period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)),
            line("Konsulttimmar, dataintegration", "2.5", "12000", 2, unit_code="HUR",
                 discounts=(Discount(description="Ramavtal", percent_off=Decimal(10)),)),
            line("Utbildning, halvdag", "1", "0", 3),
        ],
        buyer_reference="Maria Lindqvist",
        purchase_order="PO-2026-118",
        description="Avser abonnemang och konsulttjänster enligt avtal 2025-014.",
        **changes,
    )


def german_reverse_charge_invoice(**changes: object) -> Invoice:
    """EUR, in German, to a German business from a Swedish seller: reverse charge."""
    return finalized(
        [
            line("Analyseplattform – Business (März 2026)", "1", "249000", 1,
                 period_start=date(2026, 3, 1), period_end=date(2026, 3, 31)),
            line("Zusätzliche Nutzer", "12", "1500", 2),
            line("API-Aufrufe (nutzungsbasiert)", "184250", "0.0125", 3),
        ],
        customer=german_customer(),
        purchase_order="BL-4471",
        **changes,
    )


def two_rate_invoice() -> Invoice:
    """Swedish VAT at 25 % and a manual 6 % rate (books) on one invoice."""
    books = TaxRate(category="S", percent=Decimal(6))
    return finalized([
        line("Rapportpaket, digitalt", "4", "50000", 1),
        line("Handbok för datadrivna team (bok)", "10", "29900", 2, tax_rate=books),
    ])


def long_invoice(count: int = 60) -> Invoice:
    return finalized([line(f"Mätpunkt {i:02d} – datainsamling och lagring", "31", str(1250 + i * 7), i)
                      for i in range(1, count + 1)])


def credit_note_for(invoice: Invoice, credit: int | tuple[CreditLineRequest, ...]) -> CreditNote:
    """A credit note as the domain issues it: an amount alone (single-rate invoices) or lines."""
    memo = "Två konsulttimmar krediteras efter avstämning."
    request = CreditRequest(amount=credit, reason="order_change", memo=memo) if isinstance(credit, int) else (
        CreditRequest(lines=credit, reason="order_change", memo=memo))
    note, _ = issue_credit_note(invoice, request, credit_note_id="cn_1", number="CN-000001", now=NOW)
    return note


def credit_line(line_id: str, quantity: str | None = None, amount: int | None = None) -> CreditLineRequest:
    return CreditLineRequest(type="invoice_line_item", invoice_line_item=line_id,
                             quantity=Decimal(quantity) if quantity else None, amount=amount)


def eur_invoice(**changes: object) -> Invoice:
    """EUR 123.45 due, in English, to a German business (reverse charge): a payment QR code applies."""
    return finalized(
        [line("Data integration workshop", "1", "12345", 1)],
        customer=german_customer(locale="en"),
        number="INV-000042",
        **changes,
    )


GST = TaxRate(percent=Decimal(5), name="GST", tax_type="gst", jurisdiction="CA")
QST = TaxRate(percent=Decimal("9.975"), name="QST", tax_type="qst", jurisdiction="CA-QC")
MONTREAL = Address(line1="1000 Rue Sherbrooke O", city="Montréal", state="QC", postal_code="H3A 3G4", country="CA")


def quebec_invoice(locale: str = "en") -> Invoice:
    """CAD, GST and QST stacked on every line, from a seller in Montréal to a customer there.
    300.00 + 140.00 + 10.10 = 450.10: GST 22.505 -> 22.51; QST 44.897475 -> 44.90; 517.51."""
    seller = swedish_seller(name="Norrsken Analytics Canada Inc.", address=MONTREAL, tax_ids=[], iban=None,
                            bic=None, default_currency="CAD")
    customer = swedish_customer(name="Tremblay Construction Inc.", address=MONTREAL, tax_ids=[], locale=locale,
                                currency="CAD")
    return finalized([
        line("Analytics platform – Team", "1", "30000", 1, tax_rates=(GST, QST)),
        line("Consulting hours", "1", "14000", 2, tax_rates=(GST, QST)),
        line("Report", "1", "1010", 3, tax_rates=(GST, QST)),
    ], seller=seller, customer=customer)
