"""How amounts, dates, quantities and rates read on a document, in the customer's language.

Numbers come from CLDR through babel: currency digits (JPY 0, EUR 2, KWD 3), separators and
symbol placement follow the locale. Amounts are converted from integer minor units with
`to_major` (exact Decimal), never through a float. Labels are ours: one table, `LABELS`, with one
dictionary per language (English, Swedish, German) holding every word the documents print, each
feature's words under a comment of their own; anything else falls back to English. `TAX_LABELS` is
not more words but other words for the same keys: the page of an invoice whose taxes are not all
VAT says "tax" where the others say "VAT".
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as _babel_format_date
from babel.dates import format_interval as _babel_format_interval
from babel.numbers import format_currency, format_decimal
from babel.numbers import format_percent as _babel_format_percent
from stdnum import iso11649

from invoicing.domain.money import exponent, to_major
from invoicing.domain.tax import legal_note, legal_note_by_text

DEFAULT_LANGUAGE = "en"
_HUNDRED = Decimal(100)

LocaleLike = Locale | str | None

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "invoice_number": "Invoice number",
        "credit_note_number": "Credit note number",
        "credit_note_date": "Issue date",
        "issue_date": "Issue date",
        "due_date": "Due date",
        "your_reference": "Your reference",
        "purchase_order": "Purchase order",
        "description": "Description",
        "quantity": "Qty",
        "unit_price": "Unit price",
        "tax_rate": "VAT",
        "amount": "Amount",
        "amount_incl_tax": "Amount incl. VAT",
        "period": "Service period",
        "supply_date": "Date of supply",
        "line_discount": "Discount",
        "line_charge": "Charge",
        "subtotal": "Subtotal",
        "subtotal_excl_tax": "Subtotal excl. VAT",
        "discount": "Discount",
        "charge": "Charge",
        "total_excl_tax": "Total excl. VAT",
        "vat": "VAT",
        "total": "Total",
        "credit_applied": "Credit applied",
        "credit_notes": "Credit notes",
        "amount_paid": "Amount paid",
        "amount_due": "Amount due",
        "amount_remaining": "Amount remaining",
        "balance_credited": "Credited to your account balance",
        "balance_credited_headline": "{amount} credited to your account balance",
        "balance_credited_terms": "Nothing to pay: the amount is credited to your account balance and used on your "
                                  "next invoice.",
        "amount_due_by": "{amount} due {date}",
        "paid_on": "Paid {date}",
        "tax_summary": "VAT summary",
        "taxable_amount": "Taxable amount",
        "rate": "Rate",
        "tax_amount": "VAT",
        "payment_terms": "Payment terms",
        "due_within": "Due within {days} days",
        "due_on_receipt": "Due on receipt",
        "payment_details": "Payment details",
        "payment_reference": "Payment reference",
        "ocr_reference": "OCR number",
        "scan_to_pay": "Scan to pay with your banking app",
        "pay_online": "View and pay online",
        "scan_to_open": "Scan to view and pay online",
        "iban": "IBAN",
        "bic": "BIC",
        "bill_to": "Bill to",
        "from": "From",
        "vat_id": "VAT ID",
        "registration_id": "Company reg. no.",
        "commercial_register_id": "Company reg. no.",
        "page": "Page {page} of {pages}",
        "questions": "Questions? Contact {contact}",
        "paid": "PAID",
        "void": "VOID",
        "credits_invoice": "Credits invoice {number} of {date}",
        "reason": "Reason",
        "reason_duplicate": "Duplicate charge",
        "reason_fraudulent": "Fraudulent charge",
        "reason_order_change": "Order change",
        "reason_product_unsatisfactory": "Product unsatisfactory",
        "total_credited": "Total credited",
        "credited_pre_payment": "This credit note reduces the amount due on invoice {number}.",
        "credited_post_payment": "This credit note is credited to your account or refunded.",
        "adjustment_share": "Share of the invoice's discounts and charges",
        "credited_by_amount": "Amount credited",
        "credit_for_invoice": "Credit for invoice {number}",
        "credited_split": ("This credit note reduces the amount due on invoice {number} by {pre}; {post} is "
                           "credited to your account or refunded."),
        "category_S": "VAT",
        "category_Z": "Zero-rated",
        "category_E": "Exempt",
        "category_AE": "Reverse charge",
        "category_G": "Export",
        "category_O": "Outside the scope of VAT",
        "category_K": "Intra-EU supply",
        # payment and VAT details: giro accounts, tax point, VAT in the national currency, prepayments
        "bankgiro": "Bankgiro",
        "plusgiro": "Plusgiro",
        "tax_point_date": "VAT date",
        "tax_point_code": "VAT due",
        "tax_point_3": "on the invoice date",
        "tax_point_35": "on the delivery date",
        "tax_point_432": "on payment",
        "prepayment_invoice": "Prepayment invoice",
        "prepayment_deducted": "Prepayment paid, invoice {number}",
        "tax_in_currency": "VAT in {currency}: {amount} ({rate}{source})",
        "tax_rate_of": "1 {from_currency} = {rate} {to_currency}",
        # EN 16931 details (issue 12): references, contacts, identifiers, delivery, payee, tax representative,
        # supporting documents
        "contract": "Contract",
        "project": "Project",
        "sales_order": "Sales order",
        "receiving_advice": "Receiving advice",
        "despatch_advice": "Despatch advice",
        "tender_or_lot": "Tender or lot",
        "invoiced_object": "Invoiced object",
        "buyer_accounting_reference": "Your accounting reference",
        "attention": "Attn.",
        "trading_as": "Trading as",
        "buyer_registration_id": "Company reg. no.",
        "identifier": "ID",
        "deliver_to": "Deliver to",
        "location_id": "Location",
        "payee": "Payee",
        "tax_representative": "Tax representative",
        "supporting_documents": "Supporting documents",
        "contact_person": "Contact",
        # a line's item information and references, and a corrective invoice (pdf/line_details.py)
        "seller_item_id": "Art. no.",
        "buyer_item_id": "Your art. no.",
        "gtin": "GTIN",
        "standard_id": "Item ID",
        "classification": "Classification",
        "origin": "Country of origin",
        "order_line": "Order line",
        "line_identifier": "Line",
        "object_id": "Object",
        "accounting": "Your account",
        "corrective_invoice": "Corrective invoice",
        "corrects": "Corrects invoice",
        # a line's gross price and price discount (BT-148, BT-147), under its description
        "gross_price": "List price",
        "price_discount": "Price discount",
        # SEPA direct debit (BG-19): the amount is debited, not transferred
        "direct_debit": "SEPA direct debit",
        "direct_debit_notice": ("{amount} will be debited from your account {account} under mandate {mandate} on or "
                                "after {date}. You need not transfer anything."),
        "mandate_reference": "Mandate reference",
        "creditor_id": "Creditor ID",
        # a card payment (BG-18): the amount is charged to the customer's card, not transferred
        "card_payment": "Card payment",
        "card_notice": "{amount} will be charged to your card ending in {digits}. You need not transfer anything.",
        "card": "Card",
        # the lines a subscription bills (documents/line_texts.py): a proration, late usage
        "proration_credit": "Unused time on {item}",
        "proration_charge": "Remaining time on {item}",
        "proration_less": ", less {discounts}",
        "unnamed_discount": "discount",
        "usage_reported_late": "{item}, reported late for {period}",
    },
    "sv": {
        "invoice": "Faktura",
        "credit_note": "Kreditfaktura",
        "invoice_number": "Fakturanummer",
        "credit_note_number": "Kreditfakturanummer",
        "credit_note_date": "Datum",
        "issue_date": "Fakturadatum",
        "due_date": "Förfallodatum",
        "your_reference": "Er referens",
        "purchase_order": "Inköpsordernummer",
        "description": "Beskrivning",
        "quantity": "Antal",
        "unit_price": "À-pris",
        "tax_rate": "Moms",
        "amount": "Belopp",
        "amount_incl_tax": "Belopp inkl. moms",
        "period": "Period",
        "supply_date": "Leveransdatum",
        "line_discount": "Rabatt",
        "line_charge": "Tillägg",
        "subtotal": "Delsumma",
        "subtotal_excl_tax": "Delsumma exkl. moms",
        "discount": "Rabatt",
        "charge": "Tillägg",
        "total_excl_tax": "Summa exkl. moms",
        "vat": "Moms",
        "total": "Totalt",
        "credit_applied": "Avräknat tillgodohavande",
        "credit_notes": "Kreditfakturor",
        "amount_paid": "Betalt belopp",
        "amount_due": "Att betala",
        "amount_remaining": "Återstår att betala",
        "balance_credited": "Tillgodo på ert kundsaldo",
        "balance_credited_headline": "{amount} tillgodo på ert kundsaldo",
        "balance_credited_terms": "Inget att betala: beloppet finns tillgodo på ert kundsaldo och dras av på nästa "
                                  "faktura.",
        "amount_due_by": "{amount} att betala senast {date}",
        "paid_on": "Betald {date}",
        "tax_summary": "Momsspecifikation",
        "taxable_amount": "Underlag",
        "rate": "Momssats",
        "tax_amount": "Moms",
        "payment_terms": "Betalningsvillkor",
        "due_within": "Betalning inom {days} dagar",
        "due_on_receipt": "Betalning vid mottagandet",
        "payment_details": "Betalningsuppgifter",
        "payment_reference": "Betalningsreferens",
        "ocr_reference": "OCR-nummer",
        "scan_to_pay": "Skanna och betala i din bankapp",
        "pay_online": "Visa och betala online",
        "scan_to_open": "Skanna för att visa och betala online",
        "iban": "IBAN",
        "bic": "BIC",
        "bill_to": "Fakturamottagare",
        "from": "Från",
        "vat_id": "Momsreg.nr",
        "registration_id": "Org.nr",
        "commercial_register_id": "Org.nr",
        "page": "Sida {page} av {pages}",
        "questions": "Frågor? Kontakta {contact}",
        "paid": "BETALD",
        "void": "MAKULERAD",
        "credits_invoice": "Krediterar faktura {number} av den {date}",
        "reason": "Orsak",
        "reason_duplicate": "Dubbeldebitering",
        "reason_fraudulent": "Bedräglig debitering",
        "reason_order_change": "Ändrad beställning",
        "reason_product_unsatisfactory": "Reklamation",
        "total_credited": "Totalt krediterat",
        "credited_pre_payment": "Kreditfakturan minskar beloppet att betala på faktura {number}.",
        "credited_post_payment": "Kreditfakturan tillgodoräknas ert konto eller återbetalas.",
        "adjustment_share": "Andel av fakturans rabatter och avgifter",
        "credited_by_amount": "Krediterat belopp",
        "credit_for_invoice": "Kredit avseende faktura {number}",
        "credited_split": ("Kreditfakturan minskar beloppet att betala på faktura {number} med {pre}; {post} "
                           "tillgodoräknas ert konto eller återbetalas."),
        "category_S": "Moms",
        "category_Z": "Nollskattesats",
        "category_E": "Momsfri",
        "category_AE": "Omvänd betalningsskyldighet",
        "category_G": "Export",
        "category_O": "Ej momspliktig",
        "category_K": "Unionsintern leverans",
        # payment and VAT details: giro accounts, tax point, VAT in the national currency, prepayments
        "bankgiro": "Bankgiro",
        "plusgiro": "Plusgiro",
        "tax_point_date": "Momsdatum",
        "tax_point_code": "Momsen förfaller",
        "tax_point_3": "på fakturadatumet",
        "tax_point_35": "på leveransdatumet",
        "tax_point_432": "vid betalning",
        "prepayment_invoice": "Förskottsfaktura",
        "prepayment_deducted": "Betalt förskott, faktura {number}",
        "tax_in_currency": "Moms i {currency}: {amount} ({rate}{source})",
        "tax_rate_of": "1 {from_currency} = {rate} {to_currency}",
        # EN 16931 details (issue 12): references, contacts, identifiers, delivery, payee, tax representative,
        # supporting documents
        "contract": "Avtal",
        "project": "Projekt",
        "sales_order": "Ordernummer",
        "receiving_advice": "Mottagningsbesked",
        "despatch_advice": "Följesedel",
        "tender_or_lot": "Upphandling/anbud",
        "invoiced_object": "Fakturerat objekt",
        "buyer_accounting_reference": "Er konteringsreferens",
        "attention": "Att.",
        "trading_as": "Handelsnamn",
        "buyer_registration_id": "Org.nr",
        "identifier": "ID",
        "deliver_to": "Leveransadress",
        "location_id": "Plats",
        "payee": "Betalningsmottagare",
        "tax_representative": "Skatteombud",
        "supporting_documents": "Bifogade underlag",
        "contact_person": "Kontaktperson",
        # a line's item information and references, and a corrective invoice (pdf/line_details.py)
        "seller_item_id": "Art.nr",
        "buyer_item_id": "Ert art.nr",
        "gtin": "GTIN",
        "standard_id": "Artikel-id",
        "classification": "Klassificering",
        "origin": "Ursprungsland",
        "order_line": "Orderrad",
        "line_identifier": "Rad",
        "object_id": "Objekt",
        "accounting": "Ert konto",
        "corrective_invoice": "Korrigeringsfaktura",
        "corrects": "Korrigerar faktura",
        "gross_price": "Listpris",
        "price_discount": "Prisavdrag",
        "direct_debit": "SEPA-autogiro",
        "direct_debit_notice": ("{amount} dras från ert konto {account} enligt medgivande {mandate} tidigast {date}. "
                                "Ni behöver inte betala in något."),
        "mandate_reference": "Medgivandereferens",
        "creditor_id": "Borgenärs-id",
        "card_payment": "Kortbetalning",
        "card_notice": "{amount} debiteras ert kort som slutar på {digits}. Ni behöver inte betala in något.",
        "card": "Kort",
        "proration_credit": "Outnyttjad tid för {item}",
        "proration_charge": "Återstående tid för {item}",
        "proration_less": ", avdrag: {discounts}",
        "unnamed_discount": "rabatt",
        "usage_reported_late": "{item}, rapporterat i efterhand för {period}",
    },
    "de": {
        "invoice": "Rechnung",
        "credit_note": "Rechnungskorrektur",
        "invoice_number": "Rechnungsnummer",
        "credit_note_number": "Belegnummer",
        "credit_note_date": "Datum",
        "issue_date": "Rechnungsdatum",
        "due_date": "Fälligkeitsdatum",
        "your_reference": "Ihre Referenz",
        "purchase_order": "Bestellnummer",
        "description": "Beschreibung",
        "quantity": "Menge",
        "unit_price": "Einzelpreis",
        "tax_rate": "USt.",
        "amount": "Betrag",
        "amount_incl_tax": "Betrag inkl. USt.",
        "period": "Leistungszeitraum",
        "supply_date": "Leistungsdatum",
        "line_discount": "Rabatt",
        "line_charge": "Zuschlag",
        "subtotal": "Zwischensumme",
        "subtotal_excl_tax": "Zwischensumme netto",
        "discount": "Rabatt",
        "charge": "Zuschlag",
        "total_excl_tax": "Gesamtbetrag netto",
        "vat": "USt.",
        "total": "Gesamtbetrag",
        "credit_applied": "Verrechnetes Guthaben",
        "credit_notes": "Rechnungskorrekturen",
        "amount_paid": "Bezahlter Betrag",
        "amount_due": "Zahlbetrag",
        "amount_remaining": "Offener Betrag",
        "balance_credited": "Ihrem Kundenguthaben gutgeschrieben",
        "balance_credited_headline": "{amount} Ihrem Kundenguthaben gutgeschrieben",
        "balance_credited_terms": "Nichts zu zahlen: Der Betrag ist Ihrem Kundenguthaben gutgeschrieben und wird mit "
                                  "der nächsten Rechnung verrechnet.",
        "amount_due_by": "{amount} zahlbar bis {date}",
        "paid_on": "Bezahlt am {date}",
        "tax_summary": "Umsatzsteuer",
        "taxable_amount": "Nettobetrag",
        "rate": "Steuersatz",
        "tax_amount": "Steuerbetrag",
        "payment_terms": "Zahlungsbedingungen",
        "due_within": "Zahlbar innerhalb von {days} Tagen",
        "due_on_receipt": "Zahlbar sofort nach Erhalt",
        "payment_details": "Bankverbindung",
        "payment_reference": "Verwendungszweck",
        "ocr_reference": "OCR-Nummer",
        "scan_to_pay": "Mit der Banking-App scannen und bezahlen",
        "pay_online": "Online ansehen und bezahlen",
        "scan_to_open": "Scannen, um online anzusehen und zu bezahlen",
        "iban": "IBAN",
        "bic": "BIC",
        "bill_to": "Rechnungsempfänger",
        "from": "Von",
        "vat_id": "USt-IdNr.",
        "registration_id": "Org.-Nr.",
        "commercial_register_id": "Handelsregister-Nr.",
        "page": "Seite {page} von {pages}",
        "questions": "Fragen? Wenden Sie sich an {contact}",
        "paid": "BEZAHLT",
        "void": "STORNIERT",
        "credits_invoice": "Korrektur der Rechnung {number} vom {date}",
        "reason": "Grund",
        "reason_duplicate": "Doppelte Belastung",
        "reason_fraudulent": "Betrügerische Belastung",
        "reason_order_change": "Geänderte Bestellung",
        "reason_product_unsatisfactory": "Reklamation",
        "total_credited": "Gutgeschriebener Betrag",
        "credited_pre_payment": "Diese Rechnungskorrektur mindert den Zahlbetrag der Rechnung {number}.",
        "credited_post_payment": "Dieser Betrag wird Ihrem Kundenkonto gutgeschrieben oder erstattet.",
        "adjustment_share": "Anteil an Rabatten und Zuschlägen der Rechnung",
        "credited_by_amount": "Gutgeschriebener Betrag",
        "credit_for_invoice": "Gutschrift zur Rechnung {number}",
        "credited_split": ("Diese Rechnungskorrektur mindert den Zahlbetrag der Rechnung {number} um {pre}; "
                           "{post} werden Ihrem Kundenkonto gutgeschrieben oder erstattet."),
        "category_S": "USt.",
        "category_Z": "Nullsatz",
        "category_E": "Steuerfrei",
        "category_AE": "Reverse Charge",
        "category_G": "Ausfuhr",
        "category_O": "Nicht steuerbar",
        "category_K": "Innergemeinschaftliche Lieferung",
        # payment and VAT details: giro accounts, tax point, VAT in the national currency, prepayments
        "bankgiro": "Bankgiro",
        "plusgiro": "Plusgiro",
        "tax_point_date": "Steuerdatum",
        "tax_point_code": "Umsatzsteuer fällig",
        "tax_point_3": "zum Rechnungsdatum",
        "tax_point_35": "zum Lieferdatum",
        "tax_point_432": "bei Zahlung",
        "prepayment_invoice": "Anzahlungsrechnung",
        "prepayment_deducted": "Geleistete Anzahlung, Rechnung {number}",
        "tax_in_currency": "Umsatzsteuer in {currency}: {amount} ({rate}{source})",
        "tax_rate_of": "1 {from_currency} = {rate} {to_currency}",
        # EN 16931 details (issue 12): references, contacts, identifiers, delivery, payee, tax representative,
        # supporting documents
        "contract": "Vertrag",
        "project": "Projekt",
        "sales_order": "Auftragsnummer",
        "receiving_advice": "Wareneingangsmeldung",
        "despatch_advice": "Lieferschein",
        "tender_or_lot": "Vergabe/Los",
        "invoiced_object": "Abrechnungsobjekt",
        "buyer_accounting_reference": "Ihre Kontierung",
        "attention": "z. Hd.",
        "trading_as": "Handelsname",
        "buyer_registration_id": "Registernummer",
        "identifier": "ID",
        "deliver_to": "Lieferanschrift",
        "location_id": "Lieferort",
        "payee": "Zahlungsempfänger",
        "tax_representative": "Steuervertreter",
        "supporting_documents": "Rechnungsbegründende Unterlagen",
        "contact_person": "Ansprechpartner",
        # a line's item information and references, and a corrective invoice (pdf/line_details.py)
        "seller_item_id": "Art.-Nr.",
        "buyer_item_id": "Ihre Art.-Nr.",
        "gtin": "GTIN",
        "standard_id": "Artikel-ID",
        "classification": "Klassifikation",
        "origin": "Ursprungsland",
        "order_line": "Bestellposition",
        "line_identifier": "Pos.",
        "object_id": "Objekt",
        "accounting": "Ihr Konto",
        "corrective_invoice": "Rechnungskorrektur",
        "corrects": "Korrigiert Rechnung",
        "gross_price": "Listenpreis",
        "price_discount": "Preisnachlass",
        "direct_debit": "SEPA-Lastschrift",
        "direct_debit_notice": ("{amount} wird gemäß Mandat {mandate} frühestens am {date} von Ihrem Konto {account} "
                                "abgebucht. Bitte nicht überweisen."),
        "mandate_reference": "Mandatsreferenz",
        "creditor_id": "Gläubiger-ID",
        "card_payment": "Kartenzahlung",
        "card_notice": "{amount} wird Ihrer Karte mit der Endung {digits} belastet. Bitte nicht überweisen.",
        "card": "Karte",
        "proration_credit": "Nicht genutzte Zeit für {item}",
        "proration_charge": "Verbleibende Zeit für {item}",
        "proration_less": ", abzüglich {discounts}",
        "unnamed_discount": "Rabatt",
        "usage_reported_late": "{item}, nachträglich gemeldet für {period}",
    },
}


# UN/ECE Recommendation 20 unit codes printed after a quantity; "C62" (one) and unknown codes print none.
UNITS: dict[str, dict[str, str]] = {
    "en": {"HUR": "h", "DAY": "days", "WEE": "weeks", "MON": "months", "ANN": "years", "H87": "pcs",
           "KGM": "kg", "MTR": "m", "LTR": "l", "KWH": "kWh", "GB": "GB"},
    "sv": {"HUR": "tim", "DAY": "dagar", "WEE": "veckor", "MON": "mån", "ANN": "år", "H87": "st",
           "KGM": "kg", "MTR": "m", "LTR": "l", "KWH": "kWh", "GB": "GB"},
    "de": {"HUR": "Std.", "DAY": "Tage", "WEE": "Wochen", "MON": "Monate", "ANN": "Jahre", "H87": "Stk.",
           "KGM": "kg", "MTR": "m", "LTR": "l", "KWH": "kWh", "GB": "GB"},
}

@cache
def _parse_locale(value: str) -> Locale:
    try:
        parsed = Locale.parse(value.replace("-", "_"))
    except (UnknownLocaleError, ValueError, TypeError):
        return Locale.parse(DEFAULT_LANGUAGE)
    if parsed.language not in LABELS:
        return Locale.parse(DEFAULT_LANGUAGE)
    return parsed


def resolve_locale(locale: LocaleLike) -> Locale:
    """The babel Locale to format with: the customer's ("sv", "de-AT", "en_GB") when we have labels
    for its language, otherwise English, so numbers and words never disagree."""
    if isinstance(locale, Locale):
        return locale if locale.language in LABELS else _parse_locale(DEFAULT_LANGUAGE)
    return _parse_locale(locale or DEFAULT_LANGUAGE)


def labels(locale: LocaleLike) -> dict[str, str]:
    """The document's words in the locale's language (English when we have no translation)."""
    return LABELS[resolve_locale(locale).language]


# The words that say "VAT", for a document whose taxes are not all VAT (GST and QST, US sales taxes):
# it says "tax" instead and names each tax by its own name. One per language of LABELS.
TAX_LABELS: dict[str, dict[str, str]] = {
    "en": {"tax_rate": "Tax", "amount_incl_tax": "Amount incl. tax", "subtotal_excl_tax": "Subtotal excl. tax",
           "total_excl_tax": "Total excl. tax", "vat": "Tax", "tax_summary": "Tax summary", "tax_amount": "Tax"},
    "sv": {"tax_rate": "Skatt", "amount_incl_tax": "Belopp inkl. skatt", "subtotal_excl_tax": "Delsumma exkl. skatt",
           "total_excl_tax": "Summa exkl. skatt", "vat": "Skatt", "tax_summary": "Skattespecifikation",
           "tax_amount": "Skatt"},
    "de": {"tax_rate": "Steuer", "amount_incl_tax": "Betrag inkl. Steuern", "subtotal_excl_tax": "Zwischensumme netto",
           "total_excl_tax": "Gesamtbetrag netto", "vat": "Steuern", "tax_summary": "Steuern",
           "tax_amount": "Steuerbetrag"},
}




def tax_labels(locale: LocaleLike) -> dict[str, str]:
    """The document's words when its taxes are not all VAT (`TAX_LABELS` over `labels`)."""
    language = resolve_locale(locale).language
    return {**LABELS[language], **TAX_LABELS.get(language, TAX_LABELS[DEFAULT_LANGUAGE])}


def exemption_note(reason: str | None, locale: LocaleLike, note_id: str | None = None) -> str | None:
    """Why a tax group carries no tax (or whose VAT it is, under the OSS), in the document's language:
    the legal note's text in that language (domain/data/vat_legal_notes.json); a reason the account
    wrote itself (a manual tax rate) is printed as written."""
    language = resolve_locale(locale).language
    if note_id:
        return legal_note(note_id).text(language)
    if not reason:
        return None
    known = legal_note_by_text(reason)
    return known.text(language) if known else reason


def format_money(amount_minor: int, currency: str, locale: LocaleLike) -> str:
    """An integer amount of minor units, with the currency's own digits: 123450 SEK in Swedish
    reads `1 234,50 kr`, 12000 JPY in English `¥12,000`, 1234 KWD `KWD1.234`."""
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int):
        raise TypeError("amount_minor must be an int of minor units")
    return format_currency(to_major(amount_minor, currency), currency, locale=resolve_locale(locale))


def format_unit_price(unit_amount_minor: Decimal, currency: str, locale: LocaleLike) -> str:
    """A unit price kept in (possibly fractional) minor units, shown in major units with the
    currency's digits and more only when the price has them (0.0125 cents -> €0.000125)."""
    major = Decimal(unit_amount_minor).scaleb(-exponent(currency))
    return format_currency(major, currency, locale=resolve_locale(locale), decimal_quantization=False)


def format_payment_reference(reference: str) -> str:
    """An ISO 11649 creditor reference in groups of four, the way a payer reads it out and types
    it: `RF71INV000042` -> `RF71 INV0 0004 2`. Any other reference is printed as it is."""
    if iso11649.is_valid(reference):
        return iso11649.format(reference)
    return reference


def format_date(value: date | datetime, locale: LocaleLike) -> str:
    """A date in the locale's medium form: `Mar 5, 2026`, `5 mars 2026`, `05.03.2026`."""
    if isinstance(value, datetime):
        value = value.date()
    return _babel_format_date(value, format="medium", locale=resolve_locale(locale))


def format_period(start: date, end: date, locale: LocaleLike) -> str:
    """A period as the locale writes one, saying a shared month or year once (CLDR intervals):
    `Nov 1 – 30, 2026`, `1–30 nov. 2026`, `1.–30. Nov. 2026`."""
    return _babel_format_interval(start, end, "yMMMd", locale=resolve_locale(locale))


def format_quantity(quantity: Decimal, locale: LocaleLike) -> str:
    """A quantity with every significant digit and no trailing zeros: `1,5`, `1 000`, `0.0001`."""
    return format_decimal(_strip_zeros(Decimal(quantity)), locale=resolve_locale(locale), decimal_quantization=False)


def format_unit(unit_code: str, locale: LocaleLike) -> str:
    """The short name of a UN/ECE unit code in the locale's language, or "" for plain counts."""
    return UNITS[resolve_locale(locale).language].get(unit_code, "")


def format_percent(percent: Decimal, locale: LocaleLike) -> str:
    """A tax rate given in percent (25, 25.5): `25%` in English, `25 %` / `25,5 %` in Swedish and German."""
    fraction = _strip_zeros(Decimal(percent)) / _HUNDRED
    return _babel_format_percent(fraction, locale=resolve_locale(locale), decimal_quantization=False)


def _strip_zeros(value: Decimal) -> Decimal:
    # normalize() alone turns 100 into 1E+2; an integral value is quantized to a whole number instead.
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
