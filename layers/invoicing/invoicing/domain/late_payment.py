"""Statutory late-payment interest and fixed compensation (Directive 2011/7/EU on combating late
payment in commercial transactions).

- Interest (Art. 3, Art. 2(6)): the reference rate plus 8 percentage points a year. For the euro
  area the reference rate is the ECB's main refinancing operations rate in force on 1 January (for
  the first half-year) or 1 July (for the second): `data/ecb_reference_rates.json`, dated and with
  its source. The rate of the half-year in which the invoice fell due applies to the whole period,
  as a simple annual rate: interest = principal x rate x days late / 365, in Decimal, rounded once,
  half up, to the minor unit. Days late count from the day after the due date (Art. 3(3)(a)).
- Compensation (Art. 6): a fixed EUR 40 per invoice, due without a reminder; in another currency the
  seller's national equivalent, which its policy states.

A seller under a national rule that differs (Germany's Basiszinssatz + 9 points, the UK's Bank of
England base rate + 8) gives its own `annual_rate_percent` in its policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from importlib import resources

STATUTORY_MARGIN = Decimal(8)  # percentage points over the reference rate (Art. 2(6))
EUR_COMPENSATION = 4000  # EUR 40.00 in cents (Art. 6(1))
DAYS_IN_YEAR = Decimal(365)


@dataclass(frozen=True)
class ReferenceRate:
    valid_from: date
    percent: Decimal


@cache
def reference_rates() -> tuple[ReferenceRate, ...]:
    raw = json.loads(resources.files("invoicing.domain").joinpath("data/ecb_reference_rates.json").read_text())
    rates = tuple(ReferenceRate(date.fromisoformat(r["valid_from"]), Decimal(r["percent"]))
                  for r in raw["reference_rates"])
    return tuple(sorted(rates, key=lambda r: r.valid_from))


def half_year_start(on: date) -> date:
    return date(on.year, 1 if on.month <= 6 else 7, 1)


def reference_rate(on: date) -> Decimal | None:
    """The ECB reference rate of the half-year `on` falls in, or None when the data has none yet."""
    start = half_year_start(on)
    return next((r.percent for r in reference_rates() if r.valid_from == start), None)


def statutory_rate(due_date: date) -> Decimal | None:
    """The annual percentage of statutory interest on a debt that fell due on `due_date`."""
    reference = reference_rate(due_date)
    return None if reference is None else reference + STATUTORY_MARGIN


def days_late(due_date: date, on: date) -> int:
    """Days from the day after the due date up to and including `on` (0 when not late)."""
    return max(0, (on - due_date).days)


def late_interest(principal: int, annual_percent: Decimal, days: int) -> int:
    """principal (minor units) x annual_percent / 100 x days / 365, rounded once, half up."""
    if principal < 0 or days < 0 or annual_percent < 0:
        raise ValueError("principal, rate and days must not be negative")
    exact = Decimal(principal) * annual_percent / Decimal(100) * Decimal(days) / DAYS_IN_YEAR
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
