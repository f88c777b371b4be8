"""The words of the lines a subscription bills, in the customer's language: prorations and late usage."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from invoicing.documents.line_texts import line_texts


@pytest.mark.parametrize(("locale", "credit", "charge"), [
    ("en", "Unused time on 2 × Team, less Partners, discount", "Remaining time on 3 × Team"),
    ("sv", "Outnyttjad tid för 2 × Team, avdrag: Partners, rabatt", "Återstående tid för 3 × Team"),
    ("de", "Nicht genutzte Zeit für 2 × Team, abzüglich Partners, Rabatt", "Verbleibende Zeit für 3 × Team"),
    ("sv-FI", "Outnyttjad tid för 2 × Team, avdrag: Partners, rabatt", "Återstående tid för 3 × Team"),
    ("ja", "Unused time on 2 × Team, less Partners, discount", "Remaining time on 3 × Team"),
    (None, "Unused time on 2 × Team, less Partners, discount", "Remaining time on 3 × Team"),
])
def test_a_proration_says_what_it_credits_or_charges_and_the_discounts_it_carries(
        locale: str | None, credit: str, charge: str) -> None:
    texts = line_texts(locale)
    assert texts.prorated("credit", "2 × Team", ["Partners", None]) == credit  # None: a discount without a name
    assert texts.prorated("charge", "3 × Team", []) == charge


@pytest.mark.parametrize(("locale", "said"), [
    ("en", "API calls × 20, reported late for Nov 1\u2009–\u200930, 2026"),  # CLDR: thin spaces around the dash
    ("sv", "API calls × 20, rapporterat i efterhand för 1–30 nov. 2026"),
    ("de", "API calls × 20, nachträglich gemeldet für 1.–30. Nov. 2026"),
])
def test_late_usage_names_its_period_as_the_customers_locale_writes_dates(locale: str, said: str) -> None:
    assert line_texts(locale).reported_late("API calls × 20", date(2026, 11, 1), date(2026, 11, 30)) == said


@pytest.mark.parametrize(("locale", "value", "said"), [
    ("en", "51378", "51,378"), ("sv", "51378", "51\u00a0378"), ("de", "51378", "51.378"),
    ("en", "1.50", "1.5"), ("de", "1.50", "1,5"), ("sv", "8", "8"),
])
def test_a_quantity_in_a_line_s_words_is_written_as_the_locale_writes_numbers(locale: str, value: str,
                                                                             said: str) -> None:
    assert line_texts(locale).quantity(Decimal(value)) == said
