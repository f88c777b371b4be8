"""The place of supply decides the category, rate, VATEX code and legal note of every case the VAT
Directive tells apart (docs/tax.md), with the note's text in every language; and the dated rate file
gives each country's rates by tax code."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal
from importlib import resources

import pytest
from pydantic import ValidationError

from invoicing.domain.errors import InvalidInput
from invoicing.domain.party import validated_tax_id
from invoicing.domain.supply import EU_COUNTRIES, RATE_CODES
from invoicing.domain.tax import buyer_is_business, decide_tax, eu_rate, legal_note

from .builders import ADDRESSES, DE_VAT, SE_VAT, customer, draft, line, seller

ON = date(2025, 3, 14)
OSS = {"oss_registered": True}
US_EIN = [validated_tax_id("us_ein", "91-1144442")]

# (case, seller changes, buyer country, buyer vat, buyer changes, supply) ->
# (category, percent, VATEX code, legal note, the article its English text cites)
CASES = [
    ("domestic goods", {}, "SE", None, {}, "goods", ("S", "25", None, None, None)),
    ("domestic services", {}, "SE", None, {}, "services", ("S", "25", None, None, None)),
    ("domestic business", {}, "SE", SE_VAT, {}, "services", ("S", "25", None, None, None)),
    ("EU business, goods", {}, "DE", DE_VAT, {}, "goods",
     ("K", "0", "VATEX-EU-IC", "intra_community_goods", "Article 138")),
    ("EU business, services", {}, "DE", DE_VAT, {}, "services",
     ("AE", "0", "VATEX-EU-AE", "reverse_charge_services", "Article 196")),
    ("EU business, electronic services", {}, "DE", DE_VAT, {}, "electronic_services",
     ("AE", "0", "VATEX-EU-AE", "reverse_charge_services", "Article 196")),
    ("EU consumer, goods, no OSS", {}, "DE", None, {}, "goods", ("S", "25", None, None, None)),
    ("EU consumer, goods, OSS", OSS, "DE", None, {}, "goods",
     ("S", "19", None, "oss_distance_sales_goods", "Articles 33 and 369a")),
    ("EU consumer, e-services, no OSS", {}, "DE", None, {}, "electronic_services", ("S", "25", None, None, None)),
    ("EU consumer, e-services, OSS", OSS, "DE", None, {}, "electronic_services",
     ("S", "19", None, "oss_electronic_services", "Articles 58 and 369a")),
    ("EU consumer, general services, OSS: still the seller's (Art. 45)", OSS, "DE", None, {}, "services",
     ("S", "25", None, None, None)),
    ("EU consumer, professional services, OSS: the seller's (Art. 45)", OSS, "DE", None, {},
     "professional_services", ("S", "25", None, None, None)),
    ("EU individual with a VAT number", {}, "DE", DE_VAT, {"customer_type": "individual"}, "services",
     ("S", "25", None, None, None)),
    ("non-EU business (tax ID), goods", {}, "US", None, {"tax_ids": US_EIN}, "goods",
     ("G", "0", "VATEX-EU-G", "export_goods", "Article 146")),
    ("non-EU consumer, goods", {}, "US", None, {}, "goods",
     ("G", "0", "VATEX-EU-G", "export_goods", "Article 146")),
    ("non-EU business (tax ID), services", {}, "US", None, {"tax_ids": US_EIN}, "services",
     ("O", "0", "VATEX-EU-O", "services_outside_eu_business", "Article 44")),
    ("non-EU business (customer_type), services", {}, "US", None, {"customer_type": "business"}, "services",
     ("O", "0", "VATEX-EU-O", "services_outside_eu_business", "Article 44")),
    ("non-EU consumer, electronic services", {}, "US", None, {}, "electronic_services",
     ("O", "0", "VATEX-EU-O", "services_outside_eu_consumer", "Article 59")),
    ("non-EU consumer, professional services", {}, "US", None, {}, "professional_services",
     ("O", "0", "VATEX-EU-O", "services_outside_eu_consumer", "Article 59")),
    ("non-EU consumer, general services (Art. 45)", {}, "US", None, {}, "services",
     ("S", "25", None, None, None)),
]


@pytest.mark.parametrize(("seller_changes", "country", "vat", "buyer_changes", "supply", "expected"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_place_of_supply_decides_category_rate_code_and_note(
    seller_changes: dict[str, object], country: str, vat: str | None, buyer_changes: dict[str, object],
    supply: str, expected: tuple[str, str, str | None, str | None, str | None],
) -> None:
    category, percent, vatex, note_id, article = expected
    rate = decide_tax(seller("SE", **seller_changes), customer(country, vat=vat, **buyer_changes), ON,
                      supply).rate  # type: ignore[arg-type]
    assert rate is not None
    assert (rate.category, rate.percent, rate.exemption_reason_code, rate.legal_note) == (
        category, Decimal(percent), vatex, note_id)
    if note_id is None:
        assert rate.exemption_reason is None
        return
    note = legal_note(note_id)
    assert note.category == category
    # Category S gives no exemption reason (BR-S-10); the others state their note's English text.
    assert rate.exemption_reason == (None if category == "S" else note.texts["en"])
    assert article in note.texts["en"]
    # The Swedish and German texts cite the same articles of the same directive.
    for number in re.findall(r"\d+[a-z]?", article):
        assert re.search(rf"\b{number}\b", note.texts["sv"]) and "artik" in note.texts["sv"]
        assert re.search(rf"\b{number}\b", note.texts["de"]) and "Artikel" in note.texts["de"]
    assert "2006/112/EG" in note.texts["sv"] and "2006/112/EG" in note.texts["de"]
    if category in ("O", "AE", "K", "G"):
        assert rate.country is None
    else:
        assert rate.country == ("DE" if percent == "19" else "SE")


def test_no_note_cites_an_exemption_for_a_supply_outside_the_scope() -> None:
    """The complaint of issue 9: a note that says "not subject" while citing Art. 146 (an exemption)."""
    for note_id in ("services_outside_eu_business", "services_outside_eu_consumer"):
        note = legal_note(note_id)
        assert "146" not in note.texts["en"] and "exempt" not in note.texts["en"].lower()
        assert "Outside the scope" in note.texts["en"]
    export = legal_note("export_goods")
    assert "exempt" in export.texts["en"] and "not subject" not in export.texts["en"]


def test_every_note_has_a_category_a_source_and_a_text_in_every_language() -> None:
    raw = json.loads(resources.files("invoicing.domain").joinpath("data/vat_legal_notes.json").read_text())
    assert raw["directive"].startswith("Council Directive 2006/112/EC")
    for note_id in raw["notes"]:
        note = legal_note(note_id)
        assert note.category in {"S", "E", "AE", "K", "G", "O"}
        assert note.legal_basis and all(basis.strip() for basis in note.legal_basis)
        assert {"en", "sv", "de"} <= set(note.texts)
        assert note.vatex is None or note.vatex.startswith("VATEX-EU-")
        # BR-S-10 / BR-E-10: S never has a code; the CEN categories' codes are the CEF list's.
        assert note.vatex == {"AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "G": "VATEX-EU-G",
                              "O": "VATEX-EU-O"}.get(note.category)


def test_zero_rated_and_exempt_codes_need_no_address() -> None:
    zero = decide_tax(seller("SE"), customer(None), ON, "goods", "zero_rated").rate
    exempt = decide_tax(seller("SE"), customer(None), ON, "services", "exempt").rate
    assert zero is not None and (zero.category, zero.percent) == ("Z", Decimal(0))
    assert exempt is not None and (exempt.category, exempt.legal_note) == ("E", "exempt")


@pytest.mark.parametrize(("code", "domestic", "oss_to_france"),
                         [("standard", "25", "20"), ("reduced", "12", "10"), ("second_reduced", "6", "5.5")])
def test_a_tax_code_takes_the_rate_of_the_country_whose_vat_applies(code: str, domestic: str,
                                                                    oss_to_france: str) -> None:
    home = decide_tax(seller("SE"), customer("SE"), ON, "goods", code).rate  # type: ignore[arg-type]
    assert home is not None and home.percent == Decimal(domestic)
    away = customer("DE", address=ADDRESSES["DE"].model_copy(update={"country": "FR", "city": "Paris"}))
    oss = decide_tax(seller("SE", **OSS), away, ON, "goods", code).rate  # type: ignore[arg-type]
    assert oss is not None and (oss.percent, oss.country) == (Decimal(oss_to_france), "FR")


def test_a_code_a_country_does_not_have_is_refused_by_name() -> None:
    with pytest.raises(InvalidInput) as raised:
        decide_tax(seller("SE"), customer("SE"), ON, "goods", "super_reduced")
    assert raised.value.code == "tax_code_unavailable" and raised.value.param == "lines.tax_code"
    assert "SE has no super reduced VAT rate" in str(raised.value)


def test_invoice_lines_say_goods_or_services_with_the_invoice_and_account_as_defaults() -> None:
    goods, services = line("1000", id="li_g", supply_type="goods"), line("1000", id="li_s")
    us = customer("US", tax_ids=US_EIN)
    priced = draft(goods, services).priced(seller("SE"), us, ON)
    assert [ln.tax.category for ln in priced.lines if ln.tax] == ["G", "O"]
    priced = draft(goods, services, supply_type="goods").priced(seller("SE"), us, ON)
    assert [ln.tax.category for ln in priced.lines if ln.tax] == ["G", "G"]
    priced = draft(services).priced(seller("SE", default_supply_type="goods"), us, ON)
    assert [ln.tax.category for ln in priced.lines if ln.tax] == ["G"]
    assert [g.legal_note for g in priced.totals.tax_groups] == ["export_goods"]  # type: ignore[union-attr]


def test_reduced_lines_of_one_invoice_are_grouped_per_rate() -> None:
    invoice = draft(line("10000", id="a"), line("10000", id="b", tax_code="reduced"),
                    line("10000", id="c", tax_code="second_reduced")).priced(seller("SE"), customer("SE"), ON)
    assert invoice.totals is not None
    assert [(g.percent, g.tax_amount) for g in invoice.totals.tax_groups] == [
        (Decimal(25), 2500), (Decimal(12), 1200), (Decimal(6), 600)]


def test_business_status_of_a_buyer_outside_the_eu() -> None:
    assert not buyer_is_business(customer("US"))
    assert buyer_is_business(customer("US", tax_ids=US_EIN))
    assert buyer_is_business(customer("US", tax_exempt="reverse"))
    assert buyer_is_business(customer("US", customer_type="business"))
    assert not buyer_is_business(customer("US", tax_ids=US_EIN, customer_type="individual"))


# --- the OSS setting ------------------------------------------------------------------------------


def test_oss_registration_needs_an_eu_seller_with_its_vat_number() -> None:
    assert seller("SE", oss_registered=True).oss_registered
    with pytest.raises(ValidationError, match="established in the EU"):
        seller("US", oss_registered=True)
    with pytest.raises(ValidationError, match="eu_vat tax ID of DE"):
        seller("DE", oss_registered=True)  # the builder gives a German seller no VAT number
    with pytest.raises(ValidationError, match="established in the EU"):
        seller(None, oss_registered=True)


def test_an_account_change_that_breaks_the_oss_registration_is_bad_input() -> None:
    registered = seller("SE", oss_registered=True)
    with pytest.raises(InvalidInput) as raised:
        registered.changed({"tax_ids": []})
    assert raised.value.param == "oss_registered"


# --- the dated rate file ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "code", "on", "rate"),
    [
        ("DE", "reduced", date(2020, 6, 30), "7"),
        ("DE", "reduced", date(2020, 7, 1), "5"),
        ("DE", "reduced", date(2020, 12, 31), "5"),
        ("DE", "reduced", date(2021, 1, 1), "7"),
        ("NL", "reduced", date(2018, 12, 31), "6"),
        ("NL", "reduced", date(2019, 1, 1), "9"),
        ("CZ", "reduced", date(2023, 12, 31), "15"),
        ("CZ", "second_reduced", date(2023, 12, 31), "10"),
        ("CZ", "reduced", date(2024, 1, 1), "12"),
        ("EE", "reduced", date(2024, 12, 31), "9"),
        ("EE", "reduced", date(2025, 1, 1), "13"),
        ("RO", "reduced", date(2025, 7, 31), "9"),
        ("RO", "reduced", date(2025, 8, 1), "11"),
        ("LU", "parking", date(2023, 6, 1), "13"),
        ("LU", "parking", date(2024, 6, 1), "14"),
        ("FR", "super_reduced", ON, "2.1"),
        ("IE", "super_reduced", ON, "4.8"),
        ("IT", "second_reduced", ON, "5"),
        ("SE", "reduced", ON, "12"),
        ("SE", "second_reduced", ON, "6"),
        ("SE", "standard", ON, "25"),
    ],
)
def test_the_rate_of_a_code_in_force_on_the_date(country: str, code: str, on: date, rate: str) -> None:
    assert eu_rate(country, on, code) == Decimal(rate)


@pytest.mark.parametrize(("country", "code", "on"), [
    ("CZ", "second_reduced", date(2024, 1, 1)),  # merged into 12 % (null from that day)
    ("RO", "second_reduced", date(2025, 8, 1)),
    ("DK", "reduced", ON),  # Denmark has none
    ("SK", "second_reduced", date(2024, 12, 31)),  # before the file vouches for it
])
def test_a_rate_abolished_or_never_known_is_refused(country: str, code: str, on: date) -> None:
    with pytest.raises(InvalidInput) as raised:
        eu_rate(country, on, code)
    assert raised.value.code == "tax_code_unavailable"


def test_the_rate_file_covers_every_member_state_and_names_its_source() -> None:
    raw = json.loads(resources.files("invoicing.domain").joinpath("data/eu_vat_rates.json").read_text())
    assert set(raw["rates"]) == EU_COUNTRIES
    assert "European Commission" in raw["source"]
    for country, codes in raw["rates"].items():
        assert "standard" in codes and set(codes) <= RATE_CODES
        standard = eu_rate(country, ON)
        for code in set(codes) - {"standard"}:
            try:
                reduced = eu_rate(country, ON, code)
            except InvalidInput:
                continue  # abolished, or not yet in force on ON
            assert Decimal(0) < reduced < standard, (country, code)
        for periods in codes.values():
            dates = [p["valid_from"] for p in periods]
            assert dates == sorted(dates) and len(set(dates)) == len(dates), country


# --- the rate of the date of supply ----------------------------------------------------------------


def test_the_rates_are_those_in_force_when_the_line_was_supplied() -> None:
    """Art. 63 and 93: a December 2020 supply invoiced in January 2021 keeps Germany's 16 % and 5 %."""
    german = seller("DE")
    issued = date(2021, 1, 5)
    lines = (line("10000", id="a", supply_date=date(2020, 12, 31)),
             line("10000", id="b", tax_code="reduced", period_start=date(2020, 12, 1), period_end=date(2020, 12, 31)),
             line("10000", id="c", tax_code="reduced"))
    priced = draft(*lines).priced(german, customer("DE"), issued)
    assert [ln.tax.percent for ln in priced.lines if ln.tax] == [Decimal(16), Decimal(5), Decimal(7)]
    # The invoice's own date of supply (or period) dates the lines that give none.
    priced = draft(lines[2], supply_date=date(2020, 7, 1)).priced(german, customer("DE"), issued)
    assert [ln.tax.percent for ln in priced.lines if ln.tax] == [Decimal(5)]
    priced = draft(lines[2], period_start=date(2020, 6, 1), period_end=date(2020, 6, 30)).priced(
        german, customer("DE"), issued)
    assert [ln.tax.percent for ln in priced.lines if ln.tax] == [Decimal(7)]
