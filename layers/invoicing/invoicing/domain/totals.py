"""Invoice totals as EN 16931 computes them.

Order: lines -> line discounts -> invoice discounts -> tax -> totals. Each line's net amount is
rounded to the minor unit (quantity x unit amount keeps every decimal until then); tax is
computed once per (category, rate) over the sum of that group's nets, rounded half up
(BR-CO-17). Invoice-level discounts are document allowances, spread over the tax groups in
proportion to their nets so that every part adds up to the whole, unless one names its VAT rate
(BT-95/BT-96, BT-102/BT-103): then all of it is at that rate, computed on that rate's lines.
Tax-inclusive prices are split the same way: the group's gross amount is rounded once into tax and
net. A line may be negative (a return, a deposit taken back): it counts at its own rate like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from invoicing.domain.errors import InvalidInput
from invoicing.domain.money import allocate, round_minor
from invoicing.domain.tax import TaxKey, TaxRate, exemption_reason_code

HUNDRED = Decimal(100)
TaxBehavior = Literal["exclusive", "inclusive"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Discount(_Frozen):
    """A discount on a line or on the whole invoice: a percentage or a fixed amount (minor units)."""

    description: str | None = None
    percent_off: Decimal | None = Field(default=None, ge=0, le=100)
    amount_off: int | None = Field(default=None, ge=0)
    # EN 16931 BT-98 / BT-140: a UNCL 5189 code (domain/adjustment_codes.py); None is written as 95, "Discount".
    reason_code: str | None = None
    # Invoice-level only (BT-95, BT-96): the VAT rate the discount is at, computed on that rate's lines;
    # None: spread over the invoice's rates in proportion to their nets (`compute_totals`).
    tax_rate: TaxRate | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Discount:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("a discount is either percent_off or amount_off")
        return self

    def amount_on(self, base: int) -> int:
        if self.percent_off is not None:
            return round_minor(Decimal(base) * self.percent_off / HUNDRED)
        return self.amount_off or 0


class Charge(_Frozen):
    """A charge on a line or on the whole invoice (shipping, handling): a percentage or an amount."""

    description: str | None = None
    percent: Decimal | None = Field(default=None, gt=0, le=1000)
    amount: int | None = Field(default=None, ge=0)
    # EN 16931 BT-105 / BT-145: a UNCL 7161 code (domain/adjustment_codes.py); None: no code, the text alone.
    reason_code: str | None = None
    # Invoice-level only (BT-102, BT-103): the VAT rate the charge is at (freight taxed at 25 % whatever
    # the goods); None: spread over the invoice's rates in proportion to their nets (`compute_totals`).
    tax_rate: TaxRate | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Charge:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("a charge is either percent or amount")
        return self

    def amount_on(self, base: int) -> int:
        if self.percent is not None:
            return round_minor(Decimal(base) * self.percent / HUNDRED)
        return self.amount or 0


class PricedLine(_Frozen):
    """What the arithmetic needs of a line: its price, adjustments and every tax it carries (one, or
    several stacked: GST and QST, a US state's, county's and city's sales tax)."""

    quantity: Decimal
    unit_amount: Decimal  # minor units, up to 12 decimals
    discounts: tuple[Discount, ...] = ()
    charges: tuple[Charge, ...] = ()
    taxes: tuple[TaxRate, ...] = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _one_tax(cls, data: Any) -> Any:
        # `tax=` names the line's only tax, as most lines have.
        if isinstance(data, dict) and "tax" in data:
            data = {**{k: v for k, v in data.items() if k != "tax"}, "taxes": (data["tax"],)}
        return data

    @property
    def tax(self) -> TaxRate:
        return self.taxes[0]


class LineAmounts(_Frozen):
    amount: int  # quantity x unit amount, rounded: before line discounts and charges
    discount_amount: int
    charge_amount: int = 0
    net_amount: int  # EN 16931 BT-131, excluding tax (derived in tax-inclusive mode)
    # Each of the line's discounts and charges as computed on `amount`, in the line's order; they sum to
    # `discount_amount` and `charge_amount`. Empty on totals stored before they were recorded.
    discount_amounts: tuple[int, ...] = ()
    charge_amounts: tuple[int, ...] = ()
    # The line's share of what its taxes are computed on, after invoice-level discounts and charges, in
    # its price terms (net, or gross with tax-inclusive prices): the shares of the lines that carry the
    # same taxes add up to their base. Credit notes credit a line's tax on it. None on totals stored
    # before it was recorded.
    base_amount: int | None = None

    @property
    def adjusted_amount(self) -> int:
        """After the line's own discounts and charges, what invoice-level discounts and charges are
        computed on: the line's net with tax-exclusive prices, its gross with tax-inclusive ones."""
        return self.amount - self.discount_amount + self.charge_amount


class TaxGroup(_Frozen):
    category: str
    percent: Decimal
    name: str
    exemption_reason: str | None
    lines_net_amount: int  # sum of the group's line nets
    discount_amount: int  # this group's share of invoice-level discounts (excluding tax)
    charge_amount: int = 0  # this group's share of invoice-level charges (excluding tax)
    taxable_amount: int  # BT-116
    tax_amount: int  # BT-117
    # Stacked taxes (TaxRate): the kind of tax and where it is levied; a compound tax is computed on
    # taxable_amount plus `taxes_in_base`, its lines' other taxes at their rates (see compute_totals).
    tax_type: str = "vat"
    jurisdiction: str | None = None
    compound: bool = False
    taxes_in_base: int = 0

    @property
    def key(self) -> TaxKey:
        return (self.category, self.percent.normalize(), self.tax_type, self.jurisdiction, self.compound)
    legal_note: str | None = None  # the rate's note in data/vat_legal_notes.json (domain/tax.py)
    exemption_code: str | None = None  # a manual rate's VATEX code as given (TaxRate.exemption_code)

    @property
    def exemption_reason_code(self) -> str | None:
        """BT-121 of the group (`tax.exemption_reason_code`)."""
        return exemption_reason_code(self.category, self.legal_note, self.exemption_code)


class Totals(_Frozen):
    subtotal: int  # BT-106 sum of line net amounts
    discount_amount: int  # BT-107 invoice-level discounts, excluding tax
    charge_amount: int = 0  # BT-108 invoice-level charges, excluding tax
    total_excluding_tax: int  # BT-109
    tax: int  # BT-110
    total: int  # BT-112
    tax_groups: tuple[TaxGroup, ...]
    lines: tuple[LineAmounts, ...]
    # Each invoice-level discount's and charge's share of `discount_amount` and `charge_amount`
    # (excluding tax), in the invoice's order, in proportion to what each computes on the lines: the
    # rows a document lists add up to BT-107 and BT-108 whatever the rounding. Empty on totals stored
    # before they were recorded.
    discount_amounts: tuple[int, ...] = ()
    charge_amounts: tuple[int, ...] = ()
    # Each invoice-level discount's and charge's part in each tax group (in `tax_groups`' order), excluding
    # tax: a group's parts add up to its discount_amount and charge_amount; a discount at a rate has one
    # part. The e-invoice writes one allowance or charge per part (BG-20, BG-21). Empty on totals stored
    # before they were recorded.
    discount_breakdown: tuple[tuple[int, ...], ...] = ()
    charge_breakdown: tuple[tuple[int, ...], ...] = ()


def _line_gross(line: PricedLine, index: int) -> tuple[int, list[int], list[int]]:
    # The product must be exact before it is rounded once: a quantity (15 digits) times a unit
    # amount (27 digits) exceeds the default 28-digit context, which would round it half-even first.
    with localcontext(prec=60):
        exact = line.quantity * line.unit_amount
    amount = round_minor(exact)
    if amount < 0 and (line.discounts or line.charges):
        raise InvalidInput(
            f"Line {index + 1} is negative (a return, a deduction): it carries no discounts or charges; give "
            "its unit price net of them.", param=f"lines[{index}].discounts", code="negative_line_adjustment")
    discounts = [d.amount_on(amount) for d in line.discounts]
    discount = sum(discounts)
    if discount > max(amount, 0):
        raise InvalidInput(
            f"Line {index + 1}: its discounts ({discount}) exceed its amount ({amount}).",
            param=f"lines[{index}].discounts",
        )
    return amount, discounts, [c.amount_on(amount) for c in line.charges]


def compute_totals(
    lines: Sequence[PricedLine],
    invoice_discounts: Sequence[Discount] = (),
    tax_behavior: TaxBehavior = "exclusive",
    invoice_charges: Sequence[Charge] = (),
) -> Totals:
    """Totals, tax per group and each line's net amount, all integer minor units.

    A group is one tax (`TaxRate.group_key`) over every line that carries it. Lines that carry the
    same taxes form a tax set; invoice-level discounts and charges are spread over the sets, so a line
    with stacked taxes takes its share once, and each of its taxes is computed over its own group's
    base, rounded once, half up. With one tax per line a set is a group, exactly as before."""
    itemized = [_line_gross(line, i) for i, line in enumerate(lines)]
    grosses = [(amount, sum(discounts), sum(charges)) for amount, discounts, charges in itemized]
    after_line_discounts = [amount - discount + charge for amount, discount, charge in grosses]

    rates, sets = _tax_sets(lines, tax_behavior)
    placed_discounts = _placed(invoice_discounts, rates, sets, "discounts")
    placed_charges = _placed(invoice_charges, rates, sets, "charges")
    set_sums = [sum(after_line_discounts[i] for i in members) for _, members in sets]

    base = sum(set_sums)
    discounts_on_base = [d.amount_on(base if j is None else set_sums[j])
                         for d, j in zip(invoice_discounts, placed_discounts, strict=True)]
    charges_on_base = [c.amount_on(base if j is None else set_sums[j])
                       for c, j in zip(invoice_charges, placed_charges, strict=True)]
    discount_total = sum(discounts_on_base)
    if discount_total > max(base, 0):
        raise InvalidInput(
            f"The invoice's discounts ({discount_total}) exceed the sum of its lines ({base}).",
            param="discounts",
        )
    discount_parts = _spread(discounts_on_base, placed_discounts, set_sums, "discounts")
    charge_parts = _spread(charges_on_base, placed_charges, set_sums, "charges")
    set_discounts = [sum(parts[j] for parts in discount_parts) for j in range(len(sets))]
    set_charges = [sum(parts[j] for parts in charge_parts) for j in range(len(sets))]
    for (keys, _), set_sum, set_discount in zip(sets, set_sums, set_discounts, strict=True):
        if set_discount > max(set_sum, 0):
            raise InvalidInput(
                f"The discounts at {rates[keys[0]].name} {rates[keys[0]].percent.normalize()} % ({set_discount}) "
                f"exceed the lines at that rate ({set_sum}).", param="discounts", code="discount_exceeds_rate")

    net_amounts = list(after_line_discounts)
    base_amounts = list(after_line_discounts)
    for (_, members), set_sum, set_discount, set_charge in zip(sets, set_sums, set_discounts, set_charges,
                                                               strict=True):
        shares = allocate(set_sum - set_discount + set_charge, [after_line_discounts[i] for i in members])
        for i, share in zip(members, shares, strict=True):
            base_amounts[i] = share
    # Per set: (lines net, discount, charge, taxable), all excluding tax; and, with tax-inclusive
    # prices (one tax per set), the set's tax.
    figures: list[tuple[int, int, int, int]] = []
    inclusive_tax: list[int] = []
    # Per set, each discount's and charge's part excluding tax (with tax-inclusive prices, net of the rate).
    discount_nets: list[list[int]] = []
    charge_nets: list[list[int]] = []
    for j, ((keys, members), set_sum, set_discount, set_charge) in enumerate(
            zip(sets, set_sums, set_discounts, set_charges, strict=True)):
        if tax_behavior == "exclusive":
            figures.append((set_sum, set_discount, set_charge, set_sum - set_discount + set_charge))
            discount_nets.append([parts[j] for parts in discount_parts])
            charge_nets.append([parts[j] for parts in charge_parts])
            continue
        rate = rates[keys[0]]
        gross = set_sum - set_discount + set_charge
        tax = round_minor(Decimal(gross) * rate.percent / (HUNDRED + rate.percent))
        taxable = gross - tax
        factor = HUNDRED / (HUNDRED + rate.percent)
        discount_nets.append(_net_parts([parts[j] for parts in discount_parts], factor))
        charge_nets.append(_net_parts([parts[j] for parts in charge_parts], factor))
        discount_net, charge_net = sum(discount_nets[j]), sum(charge_nets[j])
        if not members and charge_net != taxable:
            # Charges at a rate no line carries: their net is the whole taxable amount (no line takes the
            # rounding), so the last of them takes the unit that rounding each way can leave.
            last = max(k for k, part in enumerate(charge_nets[j]) if part)
            charge_nets[j][last] += taxable - charge_net
            charge_net = taxable
        lines_net = taxable + discount_net - charge_net
        for i, part in zip(members, allocate(lines_net, [after_line_discounts[i] for i in members]), strict=True):
            net_amounts[i] = part
        figures.append((lines_net, discount_net, charge_net, taxable))
        inclusive_tax.append(tax)

    groups: list[TaxGroup] = []
    for key, rate in rates.items():
        in_sets = [j for j, (keys, _) in enumerate(sets) if key in keys]
        lines_net, discount_net, charge_net, taxable = (sum(figures[j][n] for j in in_sets) for n in range(4))
        in_base = 0
        if tax_behavior == "inclusive":
            (only,) = in_sets
            tax = inclusive_tax[only]
        else:
            if rate.compound:
                in_base = sum(round_minor(Decimal(taxable) * other.percent / HUNDRED)
                              for other in _compounded(key, rates, sets, in_sets))
            tax = round_minor(Decimal(taxable + in_base) * rate.percent / HUNDRED)
        groups.append(
            TaxGroup(
                category=rate.category,
                percent=rate.percent,
                name=rate.name,
                exemption_reason=rate.exemption_reason,
                lines_net_amount=lines_net,
                discount_amount=discount_net,
                charge_amount=charge_net,
                taxable_amount=taxable,
                tax_amount=tax,
                tax_type=rate.tax_type,
                jurisdiction=rate.jurisdiction,
                compound=rate.compound,
                taxes_in_base=in_base,
                legal_note=rate.legal_note,
                exemption_code=rate.exemption_code,
            )
        )

    # Every line is in one set, so the sets add up to the invoice (a line in two groups counts once).
    subtotal, discount_amount, charge_amount, total_excluding_tax = (sum(f[n] for f in figures) for n in range(4))
    tax_total = sum(g.tax_amount for g in groups)
    return Totals(
        subtotal=subtotal,
        discount_amount=discount_amount,
        charge_amount=charge_amount,
        total_excluding_tax=total_excluding_tax,
        tax=tax_total,
        total=total_excluding_tax + tax_total,
        tax_groups=tuple(groups),
        lines=tuple(
            LineAmounts(amount=a, discount_amount=d, charge_amount=c, net_amount=n,
                        discount_amounts=tuple(discounts), charge_amounts=tuple(charges), base_amount=b)
            for (a, d, c), (_, discounts, charges), n, b in zip(grosses, itemized, net_amounts, base_amounts,
                                                                strict=True)
        ),
        # The totals' amounts (net of tax when prices include it) split over the discounts and charges.
        discount_amounts=tuple(sum(nets[k] for nets in discount_nets) for k in range(len(invoice_discounts))),
        charge_amounts=tuple(sum(nets[k] for nets in charge_nets) for k in range(len(invoice_charges))),
        discount_breakdown=_by_group(discount_nets, len(invoice_discounts), rates, sets),
        charge_breakdown=_by_group(charge_nets, len(invoice_charges), rates, sets),
    )


def _placed(adjustments: Sequence[Discount | Charge], rates: dict[TaxKey, TaxRate], sets: list[_TaxSet],
            param: str) -> list[int | None]:
    """The tax set each invoice-level discount or charge that names its rate is computed on: the set of
    the lines that carry that rate alone. A rate no line carries gets a set of its own, without lines
    (freight at 25 % on an invoice of books at 6 %). None: spread over every set."""
    placed: list[int | None] = []
    for k, adjustment in enumerate(adjustments):
        rate = adjustment.tax_rate
        if rate is None:
            placed.append(None)
            continue
        key = rate.group_key
        index = next((j for j, (keys, _) in enumerate(sets) if keys == (key,)), None)
        if index is None:
            if key in rates:
                raise InvalidInput(
                    f"{param.capitalize()[:-1]} {k + 1} is at {rate.name} {rate.percent.normalize()} %, which the "
                    "lines carry only stacked with other taxes: give it no tax_rate, to spread it.",
                    param=f"{param}[{k}].tax_rate", code="adjustment_rate_stacked")
            rates[key] = rate
            sets.append(((key,), []))
            index = len(sets) - 1
        placed.append(index)
    return placed


def _spread(amounts: Sequence[int], placed: Sequence[int | None], set_sums: Sequence[int],
            param: str) -> list[list[int]]:
    """Each invoice-level discount's (or charge's) part in each tax set: all of it in the set of its
    rate, or, when it names none, its proportional share. Proportional spreading follows the largest
    remainder method (`money.allocate`) over the sets' sums of line nets, applied to the running sum of
    the spread amounts (each one's part is the difference of two allocations): so each one's parts add
    up to it, and each set's parts to that set's share of all of them, rounded once, whatever their
    number (allocating each on its own would let rounding pile up on one set)."""
    parts: list[list[int]] = []
    spread, before = 0, [0] * len(set_sums)
    for k, (amount, j) in enumerate(zip(amounts, placed, strict=True)):
        row = [0] * len(set_sums)
        if j is not None:
            row[j] = amount
        elif amount:
            if any(s < 0 for s in set_sums):
                raise InvalidInput(
                    f"The lines at one of the invoice's rates come to less than zero, so {param} {k + 1} cannot be "
                    "spread over the rates in proportion: give it the tax_rate it is at.",
                    param=f"{param}[{k}].tax_rate", code="proportional_spread_negative")
            spread += amount
            now = allocate(spread, list(set_sums))
            row = [a - b for a, b in zip(now, before, strict=True)]
            before = now
        parts.append(row)
    return parts


def _net_parts(gross_parts: Sequence[int], factor: Decimal) -> list[int]:
    """Tax-inclusive parts net of their rate, rounded once on their running sum so that they add up to
    the net of their sum."""
    nets: list[int] = []
    running, before = 0, 0
    for part in gross_parts:
        running += part
        now = round_minor(Decimal(running) * factor)
        nets.append(now - before)
        before = now
    return nets


def _by_group(nets: Sequence[Sequence[int]], count: int, rates: dict[TaxKey, TaxRate],
              sets: Sequence[_TaxSet]) -> tuple[tuple[int, ...], ...]:
    """Per discount (or charge), its parts per tax group: the sum of its parts in the sets of that group."""
    keys = list(rates)
    return tuple(tuple(sum(nets[j][k] for j, (set_keys, _) in enumerate(sets) if key in set_keys) for key in keys)
                 for k in range(count))


_TaxSet = tuple[tuple[TaxKey, ...], list[int]]


def _tax_sets(lines: Sequence[PricedLine], tax_behavior: TaxBehavior) -> tuple[dict[TaxKey, TaxRate], list[_TaxSet]]:
    """Each tax once, in the order the lines name them, and the lines grouped by the taxes they carry."""
    rates: dict[TaxKey, TaxRate] = {}
    sets: dict[frozenset[TaxKey], _TaxSet] = {}
    for i, line in enumerate(lines):
        keys = tuple(rate.group_key for rate in line.taxes)
        if len(set(keys)) != len(keys):
            raise InvalidInput(
                f"Line {i + 1} carries the same tax twice; taxes of the same kind and rate on one line need "
                "their own jurisdiction.", param=f"lines[{i}].tax_rates", code="tax_rate_duplicate")
        if len(keys) > 1 and tax_behavior == "inclusive":
            raise InvalidInput(
                f"Line {i + 1} carries several taxes: stacked taxes are computed on tax-exclusive prices "
                "(tax_behavior 'exclusive').", param=f"lines[{i}].tax_rates", code="stacked_taxes_inclusive")
        for rate in line.taxes:
            known = rates.setdefault(rate.group_key, rate)
            if rate.exemption_code is not None and known.exemption_code != rate.exemption_code:
                if known.exemption_code is not None:
                    raise InvalidInput(
                        f"Line {i + 1} gives the exemption reason code {rate.exemption_code}, an earlier line at "
                        f"the same VAT category and rate {known.exemption_code}: they are one VAT breakdown "
                        "(BG-23), which states one code. Give them the same code.",
                        param=f"lines[{i}].tax_rate.exemption_reason_code", code="exemption_code_conflict")
                rates[rate.group_key] = known.model_copy(update={"exemption_code": rate.exemption_code})
        sets.setdefault(frozenset(keys), (keys, []))[1].append(i)
    return rates, list(sets.values())


def _compounded(key: TaxKey, rates: dict[TaxKey, TaxRate], sets: list[_TaxSet], in_sets: list[int]) -> list[TaxRate]:
    """The taxes a compound tax is computed on: the non-compound taxes of its lines, the same on each."""
    found = [frozenset(k for k in sets[j][0] if not rates[k].compound) for j in in_sets]
    if len(set(found)) > 1:
        line = sets[in_sets[1]][1][0]
        raise InvalidInput(
            f"Line {line + 1}: the lines with the compound tax {rates[key].name} must carry the same other taxes, "
            "since it is computed on them.", param=f"lines[{line}].tax_rates", code="compound_tax_mixed")
    return [rates[k] for k in sets[in_sets[0]][0] if k in found[0]]
