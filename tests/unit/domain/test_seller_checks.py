"""The seller's side of a draft's validation issues, the e-invoice obstacle decided once, and the
seller's texts per language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoicing.domain.einvoice import einvoice_obstacle
from invoicing.domain.errors import FinalizationBlocked, InvalidInput
from invoicing.domain.invoice import Invoice
from invoicing.domain.party import Account, LanguageTexts, PartyIdentifier, SellerTexts, validated_tax_id
from invoicing.domain.tax import TaxRate

from .builders import NOW, SEK_RATE, customer, draft, line, seller, vat


def issues(invoice: Invoice, account: Account | None = None, **buyer: object) -> list[tuple[str, bool]]:
    account = account or seller("SE")
    buyer_ = customer(str(buyer.pop("country", "SE")), **buyer)  # type: ignore[arg-type]
    priced = invoice.priced(account, buyer_, NOW.date())
    return [(i.code, i.blocking) for i in priced.validation_issues(account, buyer_, [])]


# --- the seller's checks ------------------------------------------------------------------------------


def test_vat_charged_by_a_seller_without_a_vat_number_blocks() -> None:
    # The case of the issue: 25 % VAT, no VAT number, no bank details.
    account = seller("SE", tax_ids=[], iban=None)
    found = issues(draft(line(10000)), account)
    assert ("seller_tax_id_missing", True) in found
    assert ("seller_payment_details_missing", False) in found
    with pytest.raises(FinalizationBlocked) as raised:
        draft(line(10000)).finalize(seller=account, customer=customer("SE"), number="INV-1", now=NOW,
                                    previous_totals=[])
    assert [i.code for i in raised.value.issues] == ["seller_tax_id_missing"]


def test_reverse_charge_needs_the_sellers_vat_number_too() -> None:
    found = issues(draft(line(10000)), seller("SE", tax_ids=[]), country="DE", vat="DE136695976")
    assert ("seller_tax_id_missing", True) in found


def test_no_vat_charged_needs_no_vat_number() -> None:
    exempt = draft(line(10000, tax_code="exempt"))
    assert all(code != "seller_tax_id_missing" for code, _ in issues(exempt, seller("SE", tax_ids=[])))
    gst = draft(line(10000, tax_rate=TaxRate(category="S", percent=Decimal(5), name="GST")))
    assert all(code != "seller_tax_id_missing" for code, _ in issues(gst, seller("SE", tax_ids=[])))


def test_a_seller_without_an_address_blocks_even_when_every_line_has_a_rate() -> None:
    found = issues(draft(line(1000, tax_rate=vat(25))), seller(None, tax_ids=[validated_tax_id("eu_vat",
                                                                                               "SE556703748501")]))
    assert ("seller_address_missing", True) in found


def test_no_bank_details_is_a_warning_for_send_invoice_only() -> None:
    assert ("seller_payment_details_missing", False) in issues(draft(line(1000)), seller("SE", iban=None))
    automatic = draft(line(1000)).edited(collection_method="charge_automatically")
    found = issues(automatic, seller("SE", iban=None), default_payment_method="pm_1")
    assert all(code != "seller_payment_details_missing" for code, _ in found)


def test_a_complete_seller_has_no_issue() -> None:
    assert issues(draft(line(1000), tax_currency_rate=SEK_RATE)) == []


def test_a_line_outside_the_invoices_period_blocks() -> None:
    invoice = draft(line(1000, supply_date=date(2025, 3, 2)), period_start=date(2025, 2, 1),
                    period_end=date(2025, 2, 28))
    assert ("line_period_outside_invoice_period", True) in issues(invoice)
    inside = draft(line(1000, period_start=date(2025, 2, 3), period_end=date(2025, 2, 28)),
                   period_start=date(2025, 2, 1), period_end=date(2025, 2, 28), tax_currency_rate=SEK_RATE)
    assert issues(inside) == []


# --- no e-invoice possible, and why ---------------------------------------------------------------------


def test_a_three_decimal_currency_warns_that_no_einvoice_is_possible() -> None:
    found = issues(draft(line(1250500), currency="KWD"), country="US", currency="KWD")
    assert ("einvoice_currency_decimals", False) in found


def test_the_warning_blocks_for_a_customer_who_receives_ubl() -> None:
    found = issues(draft(line(1250500), currency="KWD"), country="US", currency="KWD", einvoice_format="ubl")
    assert ("einvoice_currency_decimals", True) in found


def test_the_reason_is_the_same_the_writers_and_the_link_use() -> None:
    account = seller("SE", tax_ids=[])
    invoice = draft(line(1000, tax_code="exempt")).priced(account, customer("SE"), NOW.date())
    obstacle = einvoice_obstacle(invoice, account, customer("SE"))
    assert obstacle is not None and obstacle.code == "einvoice_seller_vat_id_missing"
    assert obstacle.field == "account.tax_ids" and "BR-S-02" in obstacle.message
    found = issues(draft(line(1000, tax_code="exempt")), account)
    assert ("einvoice_seller_vat_id_missing", False) in found


def test_a_seller_without_a_vat_number_is_identified_by_its_registration_or_an_identifier() -> None:
    # BR-CO-26: the seller identifier (BT-29), the legal registration id (BT-30) or the VAT id (BT-31).
    outside = draft(line(250000, tax_rate=TaxRate(category="O", percent=Decimal(0), exemption_reason="Tax")))
    unidentified = seller("SE", tax_ids=[])
    invoice = outside.priced(unidentified, customer("SE"), NOW.date())
    obstacle = einvoice_obstacle(invoice, unidentified, customer("SE"))
    assert obstacle is not None and obstacle.code == "einvoice_seller_legal_registration_id_missing"
    assert obstacle.field == "account.legal_registration_id" and "BR-CO-26" in obstacle.message
    for identified in (seller("SE", tax_ids=[], identifiers=[PartyIdentifier(value="5532331183")]),
                       seller("SE", tax_ids=[], legal_registration_id="5532331183")):
        assert einvoice_obstacle(outside.priced(identified, customer("SE"), NOW.date()), identified,
                                 customer("SE")) is None
    # With a tax registration id instead of a VAT number (BR-S-02), BT-29 identifies the seller too.
    gst = draft(line(1000, tax_rate=vat(25)))
    registered = seller("SE", tax_ids=[validated_tax_id("us_ein", "04-2103594")])
    assert einvoice_obstacle(gst.priced(registered, customer("SE"), NOW.date()), registered,
                             customer("SE")).code == "einvoice_seller_vat_id_missing"
    with_id = registered.model_copy(update={"identifiers": [PartyIdentifier(value="7300010000001", scheme="0088")]})
    assert einvoice_obstacle(gst.priced(with_id, customer("SE"), NOW.date()), with_id, customer("SE")) is None


def test_an_intra_community_supply_needs_its_date() -> None:
    goods = TaxRate(category="K", percent=Decimal(0))
    buyer = customer("DE", vat="DE136695976")
    invoice = draft(line(1000, tax_rate=goods)).priced(seller("SE"), buyer, NOW.date())
    obstacle = einvoice_obstacle(invoice, seller("SE"), buyer)
    assert obstacle is not None and obstacle.reason == "supply_date_missing"
    dated = invoice.model_copy(update={"supply_date": date(2025, 3, 1)})
    assert einvoice_obstacle(dated, seller("SE"), buyer) is None


def test_an_obstacle_that_already_blocks_is_not_repeated_as_a_warning() -> None:
    found = issues(draft(line(1000, tax_rate=vat(25))), seller(None))
    assert [code for code, _ in found].count("seller_address_missing") == 1
    assert "einvoice_seller_address_missing" not in [code for code, _ in found]


# --- the seller's texts per language ----------------------------------------------------------------------

TEXTS = SellerTexts(
    default_language="en",
    en=LanguageTexts(message="Thank you.", payment_terms="Net 30.", footer="Registered in Sweden."),
    sv=LanguageTexts(message="Tack."),
    de=LanguageTexts(message="Danke.", payment_terms="Zahlbar in 30 Tagen."),
)


@pytest.mark.parametrize(("locale", "message", "terms", "footer"), [
    ("sv", "Tack.", "Net 30.", "Registered in Sweden."),  # sv gives only the message: the rest falls back
    ("de", "Danke.", "Zahlbar in 30 Tagen.", "Registered in Sweden."),
    ("de-AT", "Danke.", "Zahlbar in 30 Tagen.", "Registered in Sweden."),
    ("en", "Thank you.", "Net 30.", "Registered in Sweden."),
    ("fr", "Thank you.", "Net 30.", "Registered in Sweden."),  # no texts in French: the fallback
])
def test_each_text_in_the_customers_language_else_the_fallback(locale: str, message: str, terms: str,
                                                               footer: str) -> None:
    account = seller("SE", texts=TEXTS)
    assert (account.text("message", locale), account.text("payment_terms", locale),
            account.text("footer", locale)) == (message, terms, footer)


def test_the_single_texts_serve_every_language_where_texts_give_none() -> None:
    account = seller("SE", payment_terms="Net 10.", texts=SellerTexts(default_language="sv",
                                                                    sv=LanguageTexts(message="Tack.")))
    assert account.text("message", "de") == "Tack."
    assert account.text("payment_terms", "de") == "Net 10."
    assert account.text("footer", "de") is None


def test_the_fallback_language_must_be_given() -> None:
    with pytest.raises(InvalidInput, match=r"texts\.de must be given"):
        seller("SE").changed({"texts": {"default_language": "de", "en": {"message": "Hi"}}})


@pytest.mark.parametrize("texts", [
    {"default_language": "en", "en": {"message": "Hi"}, "fr": {"message": "Salut"}},  # no French documents
    {"default_language": "fr", "fr": {"message": "Salut"}},
    {"default_language": "en", "en": {"message": ""}},
    {"default_language": "en", "en": {"message": "   "}},
    {"default_language": "en", "en": {"message": "x" * 501}},
    {"default_language": "en", "en": {"greeting": "Hi"}},
    {"en": {"message": "Hi"}},
])
def test_bad_texts_are_refused(texts: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as raised:
        seller("SE").changed({"texts": texts})
    assert raised.value.param is not None and raised.value.param.startswith("texts")


def test_null_clears_the_texts_and_a_null_language_or_text_is_left_out() -> None:
    account = seller("SE").changed({"texts": {"default_language": "en", "en": {"message": "Hi", "footer": None},
                                              "sv": None}})
    assert account.texts is not None and account.texts.sv is None and account.text("footer", "sv") is None
    assert account.text("message", "sv") == "Hi"
    assert account.changed({"texts": None}).texts is None
