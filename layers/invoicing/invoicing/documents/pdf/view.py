"""What a document's page shows, built from the finalized invoice (or credit note) alone.

Everything comes from the invoice: the seller and customer snapshots taken at finalization, the
priced lines and the totals. Amounts are the totals' own, formatted in the customer's language:
nothing here adds up, splits or rounds money again (the rows of invoice-level discounts and
charges are the totals' allocation of them, `Totals.discount_amounts` and `charge_amounts`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, localcontext
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from babel import Locale
from babel.numbers import format_decimal
from markupsafe import Markup
from stdnum.se import orgnr as stdnum_orgnr

from invoicing.documents.formatting import (
    exemption_note,
    format_date,
    format_money,
    format_payment_reference,
    format_percent,
    format_period,
    format_quantity,
    format_unit,
    format_unit_price,
    labels,
    resolve_locale,
    tax_labels,
)
from invoicing.documents.pdf import line_details
from invoicing.documents.pdf.fetcher import logger
from invoicing.documents.pdf.qr import hosted_qr_uri, payment_qr_uri
from invoicing.domain.direct_debit import DirectDebitMandate, debited_under
from invoicing.domain.errors import Conflict
from invoicing.domain.giro import format_giro
from invoicing.domain.money import round_minor
from invoicing.domain.payment_card import PaymentCard, charged_to
from invoicing.domain.totals import Charge, Discount, LineAmounts

if TYPE_CHECKING:
    from invoicing.domain.credit_note import CreditNote, CreditNoteLine
    from invoicing.domain.invoice import Invoice, InvoiceLine
    from invoicing.domain.party import Account, Address, Contact, Customer, Delivery, PartyIdentifier, TaxId
    from invoicing.domain.references import DocumentReferences, SupportingDocument
    from invoicing.domain.tax import TaxRate

DEFAULT_COLOR = "#1F3A5F"
FONTS = frozenset({"Inter", "DejaVu Sans", "DejaVu Serif"})
# After the brand font, for every script it lacks (a customer's name may be in any): the Noto font of
# each script, then DejaVu Sans for symbols and the scripts it covers, then CJK (one collection with
# the Japanese, Korean and Chinese faces; Han ideographs take their Japanese forms). The script fonts
# come before DejaVu, which has an Arabic and a Hebrew of its own that are not as good. Emoji are not
# named: fontconfig's fallback finds Noto Color Emoji for them, and only for them (named here, it
# would also draw the digits next to Arabic or Thai text, which it covers too). layers/pdf/ ships
# the same fonts; layers/pdf/README.md lists them.
FALLBACK_FONTS = ("Noto Sans Arabic", "Noto Sans Hebrew", "Noto Sans Thai", "Noto Sans Devanagari", "DejaVu Sans",
                  "Noto Sans CJK JP")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_NOT_VAT_LABELS = {"au_abn": "ABN", "nz_gst": "GST", "in_gst": "GSTIN", "ca_bn": "BN", "us_ein": "EIN"}
_MINUS = "−"  # U+2212: a real minus sign, as wide as the digits


class DocumentNotFinalized(Conflict):
    code = "invoice_not_finalized"


@dataclass(frozen=True)
class _Fmt:
    """Formatting bound to one document's locale and currency."""

    locale: Locale
    currency: str

    def money(self, amount: int) -> str:
        # Negative amounts always carry a real minus sign (babel gives a hyphen in some locales).
        if amount < 0:
            return self.minus(-amount)
        return format_money(amount, self.currency, self.locale)

    def minus(self, amount: int) -> str:
        return _MINUS + format_money(amount, self.currency, self.locale)

    def date(self, value: date) -> str:
        return format_date(value, self.locale)

    def percent(self, value: Decimal) -> str:
        return format_percent(value, self.locale)


def require_finalized(invoice: Invoice) -> tuple[Account, Customer]:
    if invoice.status == "draft" or invoice.seller_snapshot is None or invoice.customer_snapshot is None \
            or invoice.totals is None or invoice.number is None or invoice.issue_date is None:
        raise DocumentNotFinalized(
            f"Invoice {invoice.id} is a draft: only finalized invoices have a document.", param="status"
        )
    return invoice.seller_snapshot, invoice.customer_snapshot


def invoice_view(invoice: Invoice, *, hosted_url: str | None = None,
                 file_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The invoice template's context. With `hosted_url`, the invoice's page: its link is printed,
    and where no EPC payment code is, a QR code to it (paying is one scan from the paper).
    `file_names`: the names of the uploaded files its supporting documents name, by file id."""
    seller, customer = require_finalized(invoice)
    assert invoice.totals is not None and invoice.issue_date is not None
    locale = resolve_locale(customer.locale)
    totals = invoice.totals
    vat_only = _vat_only(totals.tax_groups, [line.applied_taxes for line in invoice.lines])
    words = labels(locale) if vat_only else tax_labels(locale)
    fmt = _Fmt(locale, invoice.currency)
    due_date = invoice.due_date or invoice.issue_date

    facts = [(words["invoice_number"], invoice.number), (words["issue_date"], fmt.date(invoice.issue_date)),
             (words["due_date"], fmt.date(due_date))]
    # The date of supply and the invoicing period, each when given (EN 16931 BT-72, BG-14).
    facts += [fact for fact in (_supply(invoice.supply_date, None, None, fmt, words),
                                _supply(None, invoice.period_start, invoice.period_end, fmt, words)) if fact]
    facts += _tax_point_facts(invoice, fmt, words)
    if invoice.buyer_reference:
        facts.append((words["your_reference"], invoice.buyer_reference))
    if invoice.purchase_order:
        facts.append((words["purchase_order"], invoice.purchase_order))
    corrected = invoice.preceding_invoice
    if corrected is not None:  # BG-3: the invoice this one corrects
        facts.append((words["corrects"], corrected.number + (
            f" ({fmt.date(corrected.issue_date)})" if corrected.issue_date else "")))
    facts += _reference_facts(invoice.references, words)
    facts += [(f.name, f.value) for f in seller.branding.custom_fields]

    headline = None
    stamp = None
    if invoice.balance_credit:  # a negative corrective invoice: nothing to pay, the customer has it as credit
        headline = words["balance_credited_headline"].format(amount=fmt.money(invoice.balance_credit))
    elif invoice.status == "paid":
        stamp = words["paid"]
        paid_at = invoice.status_transitions.paid_at
        headline = words["paid_on"].format(date=fmt.date(paid_at.date())) if paid_at else None
    elif invoice.status == "void":
        stamp = words["void"]
    else:
        headline = words["amount_due_by"].format(amount=fmt.money(invoice.amount_remaining), date=fmt.date(due_date))

    inclusive = invoice.tax_behavior == "inclusive"
    lines = [_line_view(line, amounts, fmt, words, inclusive)
             for line, amounts in zip(invoice.lines, totals.lines, strict=True)]

    rows: list[dict[str, str]] = []

    def row(label: str, value: str, kind: str = "") -> None:
        rows.append({"label": label, "value": value, "kind": kind})

    row(words["subtotal_excl_tax"] if inclusive else words["subtotal"], fmt.money(totals.subtotal))
    for label, amount in _invoice_discounts(invoice, fmt, words):
        row(label, fmt.minus(amount))
    for label, amount in _invoice_charges(invoice, fmt, words):
        row(label, fmt.money(amount))
    if totals.discount_amount or totals.charge_amount:
        row(words["total_excl_tax"], fmt.money(totals.total_excluding_tax))
    groups = totals.tax_groups
    tax_groups = _tax_groups_view(groups, 1, fmt, words)
    if vat_only:
        row(_vat_label(groups, fmt, words), fmt.money(totals.tax))
    else:
        # Taxes other than VAT, or several on a line: each tax its own row, as its group computed it.
        for view in tax_groups:
            row(view["label"], view["tax"])
    row(words["total"], fmt.money(totals.total), "total")
    for prepaid in invoice.prepayments:  # BT-113: the paid prepayment invoices this final invoice deducts
        row(words["prepayment_deducted"].format(number=prepaid.number), fmt.minus(prepaid.amount))
    if invoice.applied_balance:
        row(words["credit_applied"], fmt.minus(invoice.applied_balance))
    if invoice.pre_payment_credit_notes_amount:
        row(words["credit_notes"], fmt.minus(invoice.pre_payment_credit_notes_amount))
    row(words["amount_due"], fmt.money(invoice.amount_due), "due")
    if invoice.balance_credit:  # a negative corrective invoice: what it owes is the customer's credit now
        row(words["balance_credited"], fmt.money(invoice.balance_credit), "after-due")
    if invoice.amount_paid:
        row(words["amount_paid"], fmt.minus(invoice.amount_paid), "after-due")
        row(words["amount_remaining"], fmt.money(invoice.amount_remaining), "total")

    days = (due_date - invoice.issue_date).days
    terms = invoice.payment_terms or seller.text("payment_terms", customer.locale) or (
        words["due_within"].format(days=days) if days > 0 else words["due_on_receipt"])
    mandate = debited_under(invoice, customer)
    card = charged_to(invoice, customer)
    payment_details = (_direct_debit_details(invoice, mandate, seller, fmt, words) if mandate is not None
                       else _card_details(invoice, card, fmt, words) if card is not None
                       else _transfer_details(invoice, seller, words))
    if invoice.balance_credit:  # nothing to pay: no terms of payment, no account to pay into
        terms, payment_details = words["balance_credited_terms"], []
    payee = invoice.paid_to
    if payee is not None:  # BG-10: someone other than the seller is paid
        payment_details.append({"label": words["payee"], "kind": "", "value": payee.name})

    heading = (words["corrective_invoice"] if invoice.type_code == "384"
               else words["prepayment_invoice"] if invoice.prepayment else words["invoice"])
    return {
        **_common_context(seller, customer, locale, words, heading, invoice.number or "",
                          footer=invoice.footer or seller.text("footer", customer.locale),
                          buyer_contact=invoice.buyer_contact_point),
        "delivery": _delivery_view(invoice.delivered_to, locale, words),
        "supporting_documents": _supporting_documents_view(invoice.supporting_documents, file_names or {}),
        "line_columns": _line_columns(lines),
        "stacked_summary": _summary_is_stacked(tax_groups, rows),
        "facts": facts,
        "headline": headline,
        "stamp": stamp,
        "message": seller.text("message", customer.locale),
        "memo": invoice.description,
        "amount_header": words["amount_incl_tax"] if inclusive else words["amount"],
        "lines": lines,
        "tax_groups": tax_groups,
        "exemption_notes": _exemption_notes([(g.exemption_reason, g.legal_note) for g in groups], locale),
        "tax_currency_note": _tax_currency_note(invoice, fmt, words),
        "long_heading": invoice.prepayment,
        "totals": rows,
        "payment_terms": terms,
        "payment_details": payment_details,
        "direct_debit": mandate is not None,
        "card_payment": card is not None,
        # A direct debit or a card payment asks for no payment: no payment code, no link to pay online.
        **(_hosted_context(invoice, seller, hosted_url) if mandate is None and card is None
           and not invoice.balance_credit
           else {"payment_qr": None, "hosted_url": None, "hosted_qr": None}),
        "footer_notes": [],
    }


# --- payment and VAT details (giro accounts, tax point, VAT in the national currency) -----------------


def _transfer_details(invoice: Invoice, seller: Account, words: dict[str, str]) -> list[dict[str, str]]:
    """What the payer needs to transfer the amount: the reference to quote and the seller's accounts."""
    payment_details: list[dict[str, str]] = []
    if invoice.remittance_information:
        # The seller's own remittance information (BT-83) is what the payer quotes.
        payment_details.append({"label": words["payment_reference"], "kind": "reference",
                                "value": invoice.remittance_information})
    elif invoice.payment_reference:
        # First and largest: the one thing a payer must copy exactly for the payment to find this invoice.
        payment_details.append({"label": words["payment_reference"], "kind": "reference",
                                "value": format_payment_reference(invoice.payment_reference)})
    if invoice.ocr_reference:
        # A Swedish seller's invoice: the OCR number is what Swedish banks ask for on a bankgiro payment.
        payment_details.append({"label": words["ocr_reference"], "kind": "reference", "value": invoice.ocr_reference})
    for iban, bic in seller.transfer_accounts(invoice.currency):  # the account's, then its bank_accounts
        payment_details.append({"label": words["iban"], "kind": "", "value": _group_iban(iban)})
        if bic:
            payment_details.append({"label": words["bic"], "kind": "", "value": bic})
    payment_details += _giro_details(seller, words)
    return payment_details


def _direct_debit_details(invoice: Invoice, mandate: DirectDebitMandate, seller: Account, fmt: _Fmt,
                          words: dict[str, str]) -> list[dict[str, str]]:
    """An invoice collected by SEPA direct debit (domain/direct_debit.py): the amount will be debited
    from the customer's account (its last four characters only) under the mandate, on or after the due
    date; the mandate reference and the seller's creditor identifier. Nothing asks for a transfer."""
    due = invoice.due_date or invoice.issue_date
    assert due is not None
    details = []
    if invoice.amount_remaining > 0:  # a paid (or credited) invoice has nothing left to debit
        details.append({"label": words["direct_debit"], "kind": "", "value": words["direct_debit_notice"].format(
            amount=fmt.money(invoice.amount_remaining), account=mandate.masked_iban,
            mandate=mandate.mandate_reference, date=fmt.date(due))})
    details.append({"label": words["mandate_reference"], "kind": "", "value": mandate.mandate_reference})
    if seller.sepa_creditor_id:
        details.append({"label": words["creditor_id"], "kind": "", "value": seller.sepa_creditor_id})
    return details


def _card_details(invoice: Invoice, card: PaymentCard, fmt: _Fmt, words: dict[str, str]) -> list[dict[str, str]]:
    """An invoice charged to the customer's card (domain/payment_card.py): the amount will be charged to
    the card ending in its last digits (nothing more of the card is known). Nothing asks for a transfer."""
    details = []
    if invoice.amount_remaining > 0:  # a paid (or credited) invoice has nothing left to charge
        details.append({"label": words["card_payment"], "kind": "", "value": words["card_notice"].format(
            amount=fmt.money(invoice.amount_remaining), digits=card.last_digits)})
    details.append({"label": words["card"], "kind": "", "value": card.masked})
    return details


def _giro_details(seller: Account, words: dict[str, str]) -> list[dict[str, str]]:
    """The seller's Bankgiro and Plusgiro numbers, written as Swedes write them."""
    return [{"label": words[kind], "kind": "", "value": format_giro(kind, number)}  # type: ignore[arg-type]
            for kind, number in (("bankgiro", seller.bankgiro), ("plusgiro", seller.plusgiro)) if number]


def _tax_point_facts(invoice: Invoice, fmt: _Fmt, words: dict[str, str]) -> list[tuple[str, str]]:
    """BT-7 (the date VAT became chargeable) or BT-8 (on which date it does), when the invoice gives one."""
    if invoice.tax_point_date:
        return [(words["tax_point_date"], fmt.date(invoice.tax_point_date))]
    if invoice.tax_point_date_code:
        return [(words["tax_point_code"], words[f"tax_point_{invoice.tax_point_date_code}"])]
    return []


def _tax_currency_note(invoice: Invoice, fmt: _Fmt, words: dict[str, str]) -> str | None:
    """"VAT in SEK: 2 345,67 kr (1 EUR = 11,4523 SEK, ECB 2026-03-13)": Art. 230, at the invoice's rate."""
    rate, converted = invoice.tax_currency_rate, invoice.tax_in_tax_currency
    if rate is None or converted is None:
        return None
    rate_text = words["tax_rate_of"].format(from_currency=invoice.currency, to_currency=rate.currency,
                                            rate=format_decimal(rate.rate.normalize(), locale=fmt.locale,
                                                                 decimal_quantization=False))
    source = ", ".join(p for p in (rate.source, fmt.date(rate.rate_date) if rate.rate_date else None) if p)
    return words["tax_in_currency"].format(currency=rate.currency, rate=rate_text,
                                           amount=format_money(converted, rate.currency, fmt.locale),
                                           source=f", {source}" if source else "")


def _hosted_context(invoice: Invoice, seller: Account, hosted_url: str | None) -> dict[str, Any]:
    epc = payment_qr_uri(invoice, seller)
    return {"payment_qr": epc, "hosted_url": hosted_url,
            "hosted_qr": hosted_qr_uri(hosted_url) if hosted_url and epc is None else None}


def credit_note_view(credit_note: CreditNote, invoice: Invoice) -> dict[str, Any]:
    """The credit note template's context: the credit note's own amounts, the invoice's parties."""
    seller, customer = require_finalized(invoice)
    assert invoice.issue_date is not None
    locale = resolve_locale(customer.locale)
    groups = credit_note.tax_groups
    vat_only = _vat_only(groups, [line.applied_taxes for line in credit_note.lines])
    words = labels(locale) if vat_only else tax_labels(locale)
    fmt = _Fmt(locale, credit_note.currency)
    facts = [(words["credit_note_number"], credit_note.number),
             (words["credit_note_date"], fmt.date(credit_note.issue_date.date())),
             (words["invoice_number"], credit_note.invoice_number)]
    if credit_note.reason:
        facts.append((words["reason"], words[f"reason_{credit_note.reason}"]))
    if invoice.buyer_reference:
        facts.append((words["your_reference"], invoice.buyer_reference))
    tax_groups = _tax_groups_view(groups, -1, fmt, words)
    rows = [{"label": words["total_excl_tax"], "value": fmt.minus(credit_note.subtotal), "kind": ""}]
    if vat_only:
        rows.append({"label": _vat_label(groups, fmt, words), "value": fmt.minus(credit_note.tax), "kind": ""})
    else:
        rows += [{"label": view["label"], "value": fmt.minus(g.tax_amount), "kind": ""}
                 for g, view in zip(groups, tax_groups, strict=True)]
    rows.append({"label": words["total_credited"], "value": fmt.minus(credit_note.amount), "kind": "due"})
    if credit_note.pre_payment_amount and credit_note.post_payment_amount:
        explanation = words["credited_split"].format(number="{number}", pre=fmt.money(credit_note.pre_payment_amount),
                                                     post=fmt.money(credit_note.post_payment_amount))
    elif credit_note.type == "pre_payment":
        explanation = words["credited_pre_payment"]
    else:
        explanation = words["credited_post_payment"]
    inclusive = credit_note.tax_behavior == "inclusive"
    widest = max((_em(value) for g in tax_groups for value in (g["taxable"], g["tax"])), default=0)
    credit_lines = [_credit_line_view(line, credit_note.invoice_number, fmt, words) for line in credit_note.lines]
    return {
        "amount_column": _WIDE_CREDIT_COLUMN if _column_percent(widest, _TEXT_PT) > _CREDIT_COLUMN else None,
        "stacked_summary": _summary_is_stacked(tax_groups, rows),
        **_common_context(seller, customer, locale, words, words["credit_note"], credit_note.number,
                          footer=seller.text("footer", customer.locale)),
        "facts": facts,
        "headline": None,
        "stamp": None,
        "reference": words["credits_invoice"].format(number=credit_note.invoice_number,
                                                 date=fmt.date(invoice.issue_date)),
        "explanation": explanation.format(number=credit_note.invoice_number),
        "memo": credit_note.memo,
        "amount_header": words["amount_incl_tax"] if inclusive else words["amount"],
        "lines": credit_lines,
        "line_columns": _line_columns(credit_lines),
        "tax_groups": tax_groups,
        "exemption_notes": _exemption_notes([(g.exemption_reason, g.legal_note) for g in groups], locale),
        "totals": rows,
        "footer_notes": [],
    }


def _common_context(
    seller: Account, customer: Customer, locale: Locale, words: dict[str, str], heading: str, number: str,
    *, footer: str | None, buyer_contact: Contact | None = None,
) -> dict[str, Any]:
    """What every document shows of its parties; `footer` (the seller's text in the customer's
    language, or the invoice's own) replaces the page footer's name, address and IDs."""
    contact = [c for c in (seller.email, seller.phone) if c]
    before, _, rest = words["page"].partition("{page}")
    between, _, after = rest.partition("{pages}")
    seller_vat = _tax_ids(seller.tax_ids, words)
    registration = _registration(seller, words, locale)
    if footer:
        page_footer = [footer]
    else:
        page_footer = [seller.name]
        if seller.address:
            page_footer.append(", ".join(_address_lines(seller.address, locale, with_country=False)))
        page_footer += [f"{label} {value}" for label, value in [*seller_vat[:1], *registration]]
        page_footer += [c for c in (seller.website,) if c]
    return {
        "lang": locale.language,
        "L": words,
        "title": f"{heading} {number} · {seller.name}",
        "heading": heading,
        "number": number,
        "running_title": f"{heading} {number} · {customer.name}",
        "brand": _brand(seller),
        "fallback_fonts": FALLBACK_FONTS,
        "logo_uri": _logo_uri(seller),
        "seller": {
            "name": seller.name,
            "address": _address_lines(seller.address, locale),
            "tax_ids": [*seller_vat, *registration],
            "contact": [c for c in (seller.email, seller.phone, seller.website) if c],
            "details": _seller_details(seller, words),
        },
        "buyer": {
            "name": customer.name,
            "address": _address_lines(customer.address, locale),
            "tax_ids": _tax_ids(customer.tax_ids, words),
            "email": customer.email,
            "details": _buyer_details(customer, buyer_contact or customer.contact, words),
        },
        "contact": words["questions"].format(contact=" · ".join(contact)) if contact else None,
        "page_label": {"before": before, "between": between, "after": after},
        "page_footer": [item for item in page_footer if item],
    }


def _credit_line_view(line: CreditNoteLine, invoice_number: str, fmt: _Fmt, words: dict[str, str]) -> dict[str, Any]:
    """A credit note line as credited: its quantity and the invoice's unit price (a credit by amount
    has neither), and its amount after its share of the invoice's discounts and charges, which shows
    beneath it when there is one. Amounts carry a minus: they are taken back."""
    period = None
    if line.period_start and line.period_end:
        period = f"{fmt.date(line.period_start)} – {fmt.date(line.period_end)}"
    details = []
    if line.quantity is not None and line.unit_amount_decimal is not None:
        # The invoice line's own discounts and charges, in proportion to the quantity credited.
        with localcontext(prec=60):
            adjusted = line.amount - round_minor(line.quantity * line.unit_amount_decimal)
        if adjusted:
            word = words["line_discount"] if adjusted < 0 else words["line_charge"]
            details.append(f"{word}: {fmt.money(adjusted) if adjusted < 0 else '+' + fmt.money(adjusted)}")
    share = line.base_amount - line.amount  # the line's share of invoice discounts (-) and charges (+)
    if share:
        details.append(f"{words['adjustment_share']}: {fmt.money(share) if share < 0 else '+' + fmt.money(share)}")
    quantity = ""
    if line.quantity is not None:
        unit = format_unit(line.unit_code, fmt.locale)
        quantity = format_quantity(line.quantity, fmt.locale)
        quantity = f"{quantity}\u00a0{unit}" if unit else quantity
    elif line.invoice_line_item is not None:
        details.insert(0, words["credited_by_amount"])
    return {
        "description": line.description or words["credit_for_invoice"].format(number=invoice_number),
        "period": period,
        "details": details,
        "quantity": quantity,
        "unit_price": format_unit_price(line.unit_amount_decimal, fmt.currency, fmt.locale)
        if line.unit_amount_decimal is not None else "",
        "tax_rate": _rates_text(line.applied_taxes, fmt),
        "amount": fmt.minus(line.base_amount),
    }


def _line_view(line: InvoiceLine, amounts: LineAmounts, fmt: _Fmt, words: dict[str, str],
               inclusive: bool) -> dict[str, Any]:
    # Tax-inclusive lines show their gross after discounts and charges; the net is derived per group.
    shown = amounts.adjusted_amount if inclusive else amounts.net_amount
    unit = format_unit(line.unit_code, fmt.locale)
    quantity = format_quantity(line.quantity, fmt.locale)
    supplied = _supply(line.supply_date, line.period_start, line.period_end, fmt, words)
    # Discounts and charges print under the description, each as the totals computed it on the line.
    discounts = [f"{label}: {fmt.minus(part)}" for label, part in _itemized(
        line.discounts, amounts.discount_amounts, amounts.discount_amount,
        lambda d: _discount_label(d, fmt, words["line_discount"]), words["line_discount"])]
    charges = [f"{label}: +{fmt.money(part)}" for label, part in _itemized(
        line.charges, amounts.charge_amounts, amounts.charge_amount,
        lambda c: _charge_label(c, fmt, words["line_charge"]), words["line_charge"])]
    quantity = line_details.signed(quantity)
    return {
        "description": line.description,
        "period_label": supplied[0] if supplied else None,
        "period": supplied[1] if supplied else None,
        "details": [*_gross_price(line, fmt, words), *line_details.line_details(line, fmt.locale)],
        "quantity": f"{quantity}\u00a0{unit}" if unit else quantity,
        "unit_price": format_unit_price(line.unit_amount_decimal, fmt.currency, fmt.locale),
        "tax_rate": _rates_text(line.applied_taxes, fmt),
        "amount": fmt.money(shown),
        "discounts": discounts,
        "charges": charges,
    }


def _gross_price(line: InvoiceLine, fmt: _Fmt, words: dict[str, str]) -> list[str]:
    """The gross price and price discount the unit price follows from (BT-148, BT-147), when given:
    "List price SEK 1,200.00 · Price discount −SEK 150.00" under the description."""
    if line.gross_unit_amount_decimal is None:
        return []
    row = f"{words['gross_price']} {format_unit_price(line.gross_unit_amount_decimal, fmt.currency, fmt.locale)}"
    if line.price_discount_decimal:
        discount = format_unit_price(line.price_discount_decimal, fmt.currency, fmt.locale)
        row += f" · {words['price_discount']} {_MINUS}{discount}"
    return [row]


# --- room for large amounts -----------------------------------------------------------------------
# invoice.css sizes the columns for everyday amounts; a document whose amounts are longer gets wider
# number columns (the description takes what is left) and its VAT summary and totals one above the
# other at full width, so every amount up to MAX_AMOUNT, with its currency and a minus sign, fits
# without overprinting its neighbour. Widths are estimated from the text's length: 0.62 em per
# character is above Inter's average for amounts (its tabular digits are 0.65 em, separators and
# spaces narrower: "SEK 999,999,999,999.99" is 12.3 em, estimated 13.6).
_EM_PER_CHAR = 0.62
_BOLD = 1.05  # Inter Bold against Regular, for the same text
_MM_PER_PT = 25.4 / 72
_PAGE_WIDTH_MM = 176  # A4 less invoice.css's 17 mm margins
_TEXT_PT, _DUE_PT = 9, 11  # invoice.css: html, and table.totals tr.due
_NUM_PADDING_MM = 4  # table.lines td.num
# invoice.css's widths in % of the page: the lines' number columns; the credit note's two columns.
_LINE_COLUMNS = {"qty": 11.0, "unit_price": 17.0, "rate": 10.0, "amount": 18.0}
_CREDIT_COLUMN, _WIDE_CREDIT_COLUMN = 26.0, 30.0
# Room for an amount in the side-by-side VAT summary and totals (invoice.css: the tax cell 54 % less
# 8 mm padding, its columns 33 % and 31 % less 3 mm; the totals cell 46 %, its values 38 %).
_TAX_SUMMARY_MM = min(0.33 * (0.54 * _PAGE_WIDTH_MM - 8), 0.31 * (0.54 * _PAGE_WIDTH_MM - 8)) - 3
_TOTALS_VALUE_MM = 0.46 * _PAGE_WIDTH_MM * 0.38


def _em(text: str) -> float:
    return _EM_PER_CHAR * len(text)


def _mm(text: str, pt: float, *, bold: bool = False) -> float:
    return _em(text) * (_BOLD if bold else 1) * pt * _MM_PER_PT


def _column_percent(em: float, pt: float) -> float:
    return (em * pt * _MM_PER_PT + _NUM_PADDING_MM) / _PAGE_WIDTH_MM * 100


def _line_columns(lines: list[dict[str, Any]]) -> dict[str, str] | None:
    """The lines table's column widths when a number does not fit invoice.css's (None when all do):
    each number column as wide as its widest value needs, the description the rest."""
    needed = {key: _column_percent(max((_em(line[key]) for line in lines), default=0), _TEXT_PT)
              for key in ("quantity", "unit_price", "tax_rate", "amount")}
    widths = {column: max(normal, needed[key]) for (column, normal), key in
              zip(_LINE_COLUMNS.items(), ("quantity", "unit_price", "tax_rate", "amount"), strict=True)}
    if widths == _LINE_COLUMNS:
        return None
    return {"desc": f"{100 - sum(widths.values()):.1f}%", **{k: f"{v:.1f}%" for k, v in widths.items()}}


def _summary_is_stacked(tax_groups: list[dict[str, str]], rows: list[dict[str, str]]) -> bool:
    """Whether the VAT summary and the totals go one above the other at full width: when an amount
    is too long for them side by side (the amount due is the widest: 11 pt bold)."""
    tax = max((_mm(v, _TEXT_PT) for g in tax_groups for v in (g["taxable"], g["tax"])), default=0)
    totals = max((_mm(r["value"], _DUE_PT if r["kind"] == "due" else _TEXT_PT, bold=True) for r in rows), default=0)
    return tax > _TAX_SUMMARY_MM or totals > _TOTALS_VALUE_MM


_Adjustment = TypeVar("_Adjustment", Discount, Charge)


def _itemized(adjustments: Sequence[_Adjustment], amounts: Sequence[int], total: int,
              label: Callable[[_Adjustment], str], word: str) -> list[tuple[str, int]]:
    """Labelled rows of discounts or charges with the amounts the totals gave each (a zero one is
    left out). Totals stored before they itemized them give one row of their sum: under the one
    adjustment's label, or the generic word for several."""
    if not adjustments or not total:
        return []
    if len(amounts) != len(adjustments):
        return [(label(adjustments[0]) if len(adjustments) == 1 else word, total)]
    return [(label(a), part) for a, part in zip(adjustments, amounts, strict=True) if part]


def _invoice_discounts(invoice: Invoice, fmt: _Fmt, words: dict[str, str]) -> list[tuple[str, int]]:
    """Each invoice-level discount with its share of the totals' discount (net of tax), as the
    totals allocated it: the rows add up to BT-107."""
    assert invoice.totals is not None
    totals = invoice.totals
    return _itemized(invoice.discounts, totals.discount_amounts, totals.discount_amount,
                     lambda d: _at_rate(_discount_label(d, fmt, words["discount"]), d, fmt, words), words["discount"])


def _invoice_charges(invoice: Invoice, fmt: _Fmt, words: dict[str, str]) -> list[tuple[str, int]]:
    """Each invoice-level charge (freight, handling) with its share of the totals' charge amount
    (net of tax), as the totals allocated it: the rows add up to BT-108."""
    assert invoice.totals is not None
    totals = invoice.totals
    return _itemized(invoice.charges, totals.charge_amounts, totals.charge_amount,
                     lambda c: _at_rate(_charge_label(c, fmt, words["charge"]), c, fmt, words), words["charge"])


def _at_rate(label: str, adjustment: Discount | Charge, fmt: _Fmt, words: dict[str, str]) -> str:
    """An invoice-level discount or charge at one VAT rate says which: `Freight · VAT 25%`."""
    rate = adjustment.tax_rate
    return f"{label} · {_tax_name(rate.name, words)} {fmt.percent(rate.percent)}" if rate else label


def _supply(supply_date: date | None, start: date | None, end: date | None, fmt: _Fmt,
            words: dict[str, str]) -> tuple[str, str] | None:
    """The date of supply or the service period, as given (Art. 226(7) of the VAT Directive)."""
    if supply_date:
        return words["supply_date"], fmt.date(supply_date)
    if start and end:
        return words["period"], format_period(start, end, fmt.locale)
    if start or end:
        return words["period"], fmt.date(start or end)  # type: ignore[arg-type]
    return None


def _discount_label(discount: Discount, fmt: _Fmt, word: str) -> str:
    """`Rabatt (Ramavtal, 10 %)`, `Rabatt (10 %)`; what the description already says is not said
    again: `Stamkundsrabatt (10 %)`, and `Rabatt 5 %` for a 5 % discount described so."""
    description = (discount.description or "").strip()
    percent = discount.percent_off
    details = [description] if description else []
    if percent is not None and not _mentions_percent(description, percent):
        details.append(fmt.percent(percent))
    if description and word.casefold() in description.casefold():
        head, *rest = details
        return f"{head} ({', '.join(rest)})" if rest else head
    return f"{word} ({', '.join(details)})" if details else word


def _mentions_percent(text: str, percent: Decimal | None) -> bool:
    if percent is None:
        return False
    number = format(percent.normalize(), "f")
    spellings = {number, number.replace(".", ",")}
    return any(re.search(rf"(?<![\d.,]){re.escape(n)}\s*%", text) for n in spellings)


def _charge_label(charge: Charge, fmt: _Fmt, word: str) -> str:
    """`Freight`, `Freight (5 %)`, or the generic word when the charge has no description."""
    percent = fmt.percent(charge.percent) if charge.percent is not None else None
    name = charge.description or word
    return f"{name} ({percent})" if percent else name


def _tax_name(name: str, words: dict[str, str]) -> str:
    # The domain names tax "VAT" in English; a manual rate's own name ("GST") is printed as written.
    return words["vat"] if name == "VAT" else name


def _tax_group_view(category: str, percent: Decimal, name: str, taxable: int, tax: int, fmt: _Fmt,
                    words: dict[str, str]) -> dict[str, str]:
    label = _tax_name(name, words) if category == "S" else words.get(f"category_{category}", category)
    return {"label": f"{label} {fmt.percent(percent)}", "taxable": fmt.money(taxable), "tax": fmt.money(tax)}


class _TaxGroupLike(Protocol):
    """An invoice's or a credit note's tax group, as the page reads it."""

    @property
    def category(self) -> str: ...

    @property
    def percent(self) -> Decimal: ...

    @property
    def name(self) -> str: ...

    @property
    def taxable_amount(self) -> int: ...

    @property
    def tax_amount(self) -> int: ...

    @property
    def tax_type(self) -> str: ...

    @property
    def jurisdiction(self) -> str | None: ...

    @property
    def taxes_in_base(self) -> int: ...


def _tax_groups_view(groups: Sequence[_TaxGroupLike], sign: int, fmt: _Fmt,
                     words: dict[str, str]) -> list[dict[str, str]]:
    """The tax summary's rows: one per group. A tax other than VAT goes by its own name; a compound
    tax's taxable amount includes the taxes it is computed on; a jurisdiction tells apart two taxes
    that would read the same."""
    views = []
    for g in groups:
        if g.tax_type == "vat":
            views.append(_tax_group_view(g.category, g.percent, g.name, sign * g.taxable_amount,
                                         sign * g.tax_amount, fmt, words))
        else:
            views.append({"label": f"{g.name} {fmt.percent(g.percent)}",
                          "taxable": fmt.money(sign * (g.taxable_amount + g.taxes_in_base)),
                          "tax": fmt.money(sign * g.tax_amount)})
    labels_seen = [v["label"] for v in views]
    for g, view in zip(groups, views, strict=True):
        if g.jurisdiction and labels_seen.count(view["label"]) > 1:
            view["label"] = f"{view['label']} ({g.jurisdiction})"
    return views


def _vat_label(groups: Sequence[_TaxGroupLike], fmt: _Fmt, words: dict[str, str]) -> str:
    """The totals' one VAT row: "VAT", or with a single standard rate its name and rate."""
    if len(groups) == 1 and groups[0].category == "S":
        return f"{_tax_name(groups[0].name, words)} {fmt.percent(groups[0].percent)}"
    return words["vat"]


def _vat_only(groups: Sequence[_TaxGroupLike], line_taxes: Sequence[Sequence[TaxRate]]) -> bool:
    """A document with VAT alone, one rate a line: its words and rows are VAT's, as they always were."""
    return all(g.tax_type == "vat" for g in groups) and all(len(taxes) <= 1 for taxes in line_taxes)


def _rates_text(taxes: Sequence[TaxRate], fmt: _Fmt) -> str:
    """A line's rate column: its tax's rate, or its stacked taxes' rates in order ("5 % + 9.975 %")."""
    return " + ".join(fmt.percent(rate.percent) for rate in taxes)


def _exemption_notes(reasons: list[tuple[str | None, str | None]], locale: Locale) -> list[str]:
    """The legal notes of the tax groups (exemption reason, legal note id), each once."""
    notes: list[str] = []
    for reason, note_id in reasons:
        note = exemption_note(reason, locale, note_id)
        if note and note not in notes:
            notes.append(note)
    return notes


def _tax_ids(tax_ids: list[TaxId], words: dict[str, str]) -> list[tuple[str, str]]:
    return [(_NOT_VAT_LABELS.get(t.type, words["vat_id"]), t.stated) for t in tax_ids]


def _registration(seller: Account, words: dict[str, str], locale: Locale) -> list[tuple[str, str]]:
    """The company registration number (BT-30) under the reader's word for it: a German reader
    sees a German company's Handelsregister-Nr. and another country's Org.-Nr."""
    value = (seller.legal_registration_id or "").strip()
    if not value:
        return []
    label = words["registration_id"]
    if locale.language == "de" and seller.country == "DE":
        label = words["commercial_register_id"]
    if seller.country == "SE" and stdnum_orgnr.is_valid(value):
        value = stdnum_orgnr.format(value)  # 556703-7485, as Swedes write it
    return [(label, value)]


def _address_lines(address: Address | None, locale: Locale, *, with_country: bool = True) -> list[str]:
    if address is None:
        return []
    lines = [address.line1]
    if address.line2:
        lines.append(address.line2)
    if address.country in ("US", "CA", "AU"):
        region = " ".join(p for p in (address.state, address.postal_code) if p)
        lines.append(f"{address.city}, {region}" if region else address.city)
    elif address.country == "GB":
        lines += [p for p in (address.city, address.postal_code) if p]
    else:
        lines.append(" ".join(p for p in (address.postal_code, address.city) if p))
        if address.state:
            lines.append(address.state)
    if with_country:
        lines.append(locale.territories.get(address.country, address.country))
    return lines


def _group_iban(iban: str) -> str:
    compact = re.sub(r"\s+", "", iban).upper()
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def _brand(seller: Account) -> dict[str, Any]:
    branding = seller.branding
    color = branding.primary_color if _COLOR.match(branding.primary_color) else DEFAULT_COLOR
    # Headings take the brand colour only when it is dark enough to read on white (WCAG 4.5:1);
    # a light brand colour still draws the rules and borders.
    text_color = color if _contrast_with_white(color) >= 4.5 else "#1a1a1a"
    font = branding.font if branding.font in FONTS else "Inter"
    return {"color": Markup(color), "text_color": Markup(text_color), "font": font}  # noqa: S704 - validated


def _contrast_with_white(color: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(color[i:i + 2]) for i in (1, 3, 5))
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return 1.05 / (luminance + 0.05)


def _logo_uri(seller: Account) -> str | None:
    """The seller's logo as a data: URI (an SVG document is never pasted into our HTML)."""
    branding = seller.branding
    if branding.logo_svg:
        return "data:image/svg+xml;base64," + base64.b64encode(branding.logo_svg.encode("utf-8")).decode("ascii")
    if branding.logo_png_base64:
        compact = re.sub(r"\s+", "", branding.logo_png_base64)
        try:
            data = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError):
            data = b""
        if not data.startswith(b"\x89PNG\r\n\x1a\n"):
            logger.warning("The account's logo_png_base64 is not a base64-encoded PNG; the logo is left out")
            return None
        return "data:image/png;base64," + compact
    return None


# --- issue 12: references, the parties' details, delivery, supporting documents ---------------------------

_SCHEME_LABELS = {"0088": "GLN", "0060": "DUNS", "0007": "Org.nr", "0192": "Org.nr", "0184": "CVR"}


def _reference_facts(references: DocumentReferences, words: dict[str, str]) -> list[tuple[str, str]]:
    """BT-11 .. BT-19 as given, each under its word, in the order of EN 16931."""
    facts = [(words[name], value) for name in ("project", "contract", "sales_order", "receiving_advice",
                                                "despatch_advice", "tender_or_lot")
             if (value := getattr(references, name))]
    if references.invoiced_object:
        facts.append((words["invoiced_object"], references.invoiced_object))
    if references.buyer_accounting_reference:
        facts.append((words["buyer_accounting_reference"], references.buyer_accounting_reference))
    return facts


def _identifier_text(identifier: PartyIdentifier, words: dict[str, str]) -> str:
    label = _SCHEME_LABELS.get(identifier.scheme or "", words["identifier"])
    return f"{label}: {identifier.value}"


def _seller_details(seller: Account, words: dict[str, str]) -> list[dict[str, str]]:
    """Under the seller's name, address and tax IDs: its trading name, identifiers, contact person,
    additional legal information (BT-33: "Godkänd för F-skatt") and tax representative."""
    details = []
    if seller.trading_name:
        details.append({"kind": "", "text": f"{words['trading_as']}: {seller.trading_name}"})
    details += [{"kind": "tax-id", "text": _identifier_text(i, words)} for i in seller.identifiers]
    if seller.additional_legal_info:
        details.append({"kind": "legal-info", "text": seller.additional_legal_info})
    if seller.contact and seller.contact.name:
        details.append({"kind": "muted", "text": f"{words['contact_person']}: {seller.contact.name}"})
    representative = seller.tax_representative
    if representative is not None:
        details.append({"kind": "tax-id", "text": f"{words['tax_representative']}: {representative.name}, "
                                                  f"{words['vat_id']} {representative.vat_id}"})
    return details


def _buyer_details(customer: Customer, contact: Contact | None, words: dict[str, str]) -> list[dict[str, str]]:
    """Under the buyer's name: its trading name, identifier, registration number and contact."""
    details = []
    if customer.trading_name:
        details.append({"kind": "", "text": f"{words['trading_as']}: {customer.trading_name}"})
    if customer.identifier:
        details.append({"kind": "tax-id", "text": _identifier_text(customer.identifier, words)})
    if customer.legal_registration_id:
        details.append({"kind": "tax-id",
                        "text": f"{words['buyer_registration_id']}: {customer.legal_registration_id}"})
    if contact is not None:
        reach = " · ".join(c for c in (contact.phone, contact.email) if c)
        who = f"{words['attention']} {contact.name}" if contact.name else ""
        details.append({"kind": "muted", "text": " · ".join(t for t in (who, reach) if t)})
    return details


def _delivery_view(delivery: Delivery | None, locale: Locale, words: dict[str, str]) -> dict[str, Any] | None:
    """BG-13: where the supply went, as given (the invoice's, else its customer's)."""
    if delivery is None:
        return None
    lines = [delivery.name] if delivery.name else []
    lines += _address_lines(delivery.address, locale)
    if delivery.location_id:
        scheme = _SCHEME_LABELS.get(delivery.location_id.scheme or "")
        value = f"{scheme} {delivery.location_id.value}" if scheme else delivery.location_id.value
        lines.append(f"{words['location_id']}: {value}")
    return {"lines": lines}


def _supporting_documents_view(documents: Sequence[SupportingDocument], file_names: Mapping[str, str]) -> list[str]:
    """BG-24, one line each: its reference, description, and URL or attached (or uploaded) file's name."""
    shown = []
    for d in documents:
        where = d.url or (d.attachment.filename if d.attachment else file_names.get(d.file or ""))
        shown.append(" – ".join(part for part in (d.id, d.description, where) if part))
    return shown


def finalized_at(invoice: Invoice) -> datetime | date:
    """When the invoice (and so its XML) was made final: a Factur-X file's date."""
    if invoice.status_transitions.finalized_at is not None:
        return invoice.status_transitions.finalized_at
    require_finalized(invoice)
    assert invoice.issue_date is not None
    return invoice.issue_date
