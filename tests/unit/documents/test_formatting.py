from datetime import date, datetime
from decimal import Decimal

import pytest

from invoicing.documents.formatting import (
    LABELS,
    exemption_note,
    format_date,
    format_money,
    format_percent,
    format_quantity,
    format_unit,
    format_unit_price,
    labels,
    resolve_locale,
)
from invoicing.domain.tax import EXEMPT_NOTE, REVERSE_CHARGE_NOTE


def spaces(text: str) -> str:
    """babel separates with no-break spaces (U+00A0, U+202F): compare them as plain spaces."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        (123450, "SEK", "sv", "1 234,50 kr"),
        (123450, "EUR", "de", "1.234,50 €"),
        (123450, "EUR", "en", "€1,234.50"),
        (12000, "JPY", "en", "¥12,000"),
        (12000, "JPY", "de", "12.000 ¥"),
        (1234, "KWD", "en", "KWD1.234"),
        (5, "EUR", "en", "€0.05"),
        (123456789012345678, "EUR", "en", "€1,234,567,890,123,456.78"),  # beyond a float's 15-16 digits
        (123450, "SEK", "sv-SE", "1 234,50 kr"),
        (123450, "EUR", "de_AT", "€ 1.234,50"),
    ],
)
def test_money_uses_the_currency_digits_and_the_locale(amount, currency, locale, expected):
    assert spaces(format_money(amount, currency, locale)) == expected


def test_money_takes_only_integer_minor_units():
    with pytest.raises(TypeError):
        format_money(12.5, "EUR", "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_money(True, "EUR", "en")  # type: ignore[arg-type]


@pytest.mark.parametrize("locale", ["fr", "xx", "", None, "not a locale"])
def test_languages_without_labels_fall_back_to_english(locale):
    assert resolve_locale(locale).language == "en"
    assert labels(locale)["invoice"] == "Invoice"
    assert format_money(123450, "EUR", locale) == "€1,234.50"


def test_labels_per_language():
    assert [labels(loc)["invoice"] for loc in ("en", "sv", "de")] == ["Invoice", "Faktura", "Rechnung"]
    assert [labels(loc)["invoice_number"] for loc in ("en", "sv", "de")] == [
        "Invoice number", "Fakturanummer", "Rechnungsnummer"]
    assert labels("de-CH")["vat_id"] == "USt-IdNr."
    # Every language has every word the templates use.
    assert {lang: set(words) for lang, words in LABELS.items()} == {lang: set(LABELS["en"]) for lang in LABELS}


def test_page_labels_keep_their_placeholders():
    for words in LABELS.values():
        assert "{page}" in words["page"] and "{pages}" in words["page"]


@pytest.mark.parametrize(
    ("unit_amount", "currency", "locale", "expected"),
    [
        (Decimal("0.0125"), "EUR", "en", "€0.000125"),  # a usage price below the cent
        (Decimal("98760"), "SEK", "sv", "987,60 kr"),
        (Decimal("1250.000"), "EUR", "de", "12,50 €"),
        (Decimal("1500"), "JPY", "en", "¥1,500"),
        (Decimal("1500.5"), "JPY", "en", "¥1,500.5"),
    ],
)
def test_unit_prices_keep_their_precision(unit_amount, currency, locale, expected):
    assert spaces(format_unit_price(unit_amount, currency, locale)) == expected


@pytest.mark.parametrize(
    ("quantity", "locale", "expected"),
    [
        (Decimal("2.500"), "sv", "2,5"),
        (Decimal("1000"), "sv", "1 000"),
        (Decimal("100"), "en", "100"),
        (Decimal("1E+2"), "en", "100"),
        (Decimal("184250"), "de", "184.250"),
        (Decimal("0.0001"), "en", "0.0001"),
    ],
)
def test_quantities_drop_trailing_zeros(quantity, locale, expected):
    assert spaces(format_quantity(quantity, locale)) == expected


@pytest.mark.parametrize(
    ("percent", "locale", "expected"),
    [
        (Decimal("25"), "en", "25%"),
        (Decimal("25.0000"), "sv", "25 %"),
        (Decimal("25.5"), "sv", "25,5 %"),
        (Decimal("25.5"), "de", "25,5 %"),
        (Decimal("19"), "de", "19 %"),
        (Decimal("0"), "en", "0%"),
        (Decimal("7.75"), "en", "7.75%"),
    ],
)
def test_tax_rates(percent, locale, expected):
    assert spaces(format_percent(percent, locale)) == expected


def test_dates():
    day = date(2026, 3, 5)
    assert format_date(day, "en") == "Mar 5, 2026"
    assert format_date(day, "sv") == "5 mars 2026"
    assert format_date(day, "de") == "05.03.2026"
    assert format_date(datetime(2026, 3, 5, 23, 0), "de") == "05.03.2026"


def test_units():
    assert format_unit("HUR", "sv") == "tim"
    assert format_unit("HUR", "de") == "Std."
    assert format_unit("C62", "en") == ""
    assert format_unit("XYZ", "en") == ""


def test_legal_notes_are_translated_and_custom_reasons_kept():
    assert exemption_note(REVERSE_CHARGE_NOTE, "en") == REVERSE_CHARGE_NOTE
    assert exemption_note(REVERSE_CHARGE_NOTE, "de").startswith("Steuerschuldnerschaft des Leistungsempfängers")
    assert exemption_note(REVERSE_CHARGE_NOTE, "sv").startswith("Omvänd betalningsskyldighet")
    assert exemption_note(EXEMPT_NOTE, "sv") == "Undantaget från moms."
    assert exemption_note("Exempt under § 4 Nr. 21 UStG", "de") == "Exempt under § 4 Nr. 21 UStG"
    assert exemption_note(None, "de") is None
