"""Invoice totals as EN 16931 computes them.

Order: lines -> line discounts -> invoice discounts -> tax -> totals. Each line's net amount is
rounded to the minor unit (quantity x unit amount keeps every decimal until then); tax is
computed once per (category, rate) over the sum of that group's nets, rounded half up
(BR-CO-17). Invoice-level discounts are document allowances, spread over the tax groups in
proportion to their nets so that every part adds up to the whole. Tax-inclusive prices are
split the same way: the group's gross amount is rounded once into tax and net.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, localcontext
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from invoicing.domain.errors import InvalidInput
from invoicing.domain.money import allocate, round_minor
from invoicing.domain.tax import TaxRate

HUNDRED = Decimal(100)
TaxBehavior = Literal["exclusive", "inclusive"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Discount(_Frozen):
    """A discount on a line or on the whole invoice: a percentage or a fixed amount (minor units)."""

    description: str | None = None
    percent_off: Decimal | None = Field(default=None, ge=0, le=100)
    amount_off: int | None = Field(default=None, ge=0)

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
    """What the arithmetic needs of a line."""

    quantity: Decimal
    unit_amount: Decimal  # minor units, up to 12 decimals
    discounts: tuple[Discount, ...] = ()
    charges: tuple[Charge, ...] = ()
    tax: TaxRate


class LineAmounts(_Frozen):
    amount: int  # quantity x unit amount, rounded: before line discounts and charges
    discount_amount: int
    charge_amount: int = 0
    net_amount: int  # EN 16931 BT-131, excluding tax (derived in tax-inclusive mode)
    # Each of the line's discounts and charges as computed on `amount`, in the line's order; they sum to
    # `discount_amount` and `charge_amount`. Empty on totals stored before they were recorded.
    discount_amounts: tuple[int, ...] = ()
    charge_amounts: tuple[int, ...] = ()

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
    legal_note: str | None = None  # the rate's note in data/vat_legal_notes.json (domain/tax.py)


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


def _line_gross(line: PricedLine, index: int) -> tuple[int, list[int], list[int]]:
    # The product must be exact before it is rounded once: a quantity (15 digits) times a unit
    # amount (27 digits) exceeds the default 28-digit context, which would round it half-even first.
    with localcontext(prec=60):
        exact = line.quantity * line.unit_amount
    amount = round_minor(exact)
    discounts = [d.amount_on(amount) for d in line.discounts]
    discount = sum(discounts)
    if discount > amount:
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
    """Totals, tax per group and each line's net amount, all integer minor units."""
    itemized = [_line_gross(line, i) for i, line in enumerate(lines)]
    grosses = [(amount, sum(discounts), sum(charges)) for amount, discounts, charges in itemized]
    after_line_discounts = [amount - discount + charge for amount, discount, charge in grosses]

    keys: list[tuple[str, Decimal]] = []
    members: dict[tuple[str, Decimal], list[int]] = {}
    rates: dict[tuple[str, Decimal], TaxRate] = {}
    for i, line in enumerate(lines):
        key = line.tax.group_key
        if key not in members:
            keys.append(key)
            members[key] = []
            rates[key] = line.tax
        members[key].append(i)
    group_sums = [sum(after_line_discounts[i] for i in members[k]) for k in keys]

    base = sum(group_sums)
    discounts_on_base = [d.amount_on(base) for d in invoice_discounts]
    charges_on_base = [c.amount_on(base) for c in invoice_charges]
    discount_total = sum(discounts_on_base)
    if discount_total > base:
        raise InvalidInput(
            f"The invoice's discounts ({discount_total}) exceed the sum of its lines ({base}).",
            param="discounts",
        )
    # Spread the discounts' sum once: allocating each discount on its own lets rounding pile up on
    # one group, which can then be discounted below zero while another keeps a taxable amount.
    group_discounts = allocate(discount_total, group_sums)
    group_charges = allocate(sum(charges_on_base), group_sums)

    net_amounts = list(after_line_discounts)
    groups: list[TaxGroup] = []
    for key, group_sum, group_discount, group_charge in zip(keys, group_sums, group_discounts, group_charges,
                                                            strict=True):
        rate = rates[key]
        if tax_behavior == "exclusive":
            lines_net, discount_net, charge_net = group_sum, group_discount, group_charge
            taxable = lines_net - discount_net + charge_net
            tax = round_minor(Decimal(taxable) * rate.percent / HUNDRED)
        else:
            gross = group_sum - group_discount + group_charge
            tax = round_minor(Decimal(gross) * rate.percent / (HUNDRED + rate.percent))
            taxable = gross - tax
            discount_net = round_minor(Decimal(group_discount) * HUNDRED / (HUNDRED + rate.percent))
            charge_net = round_minor(Decimal(group_charge) * HUNDRED / (HUNDRED + rate.percent))
            lines_net = taxable + discount_net - charge_net
            idx = members[key]
            for i, part in zip(idx, allocate(lines_net, [after_line_discounts[i] for i in idx]), strict=True):
                net_amounts[i] = part
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
                legal_note=rate.legal_note,
            )
        )

    subtotal = sum(g.lines_net_amount for g in groups)
    total_excluding_tax = sum(g.taxable_amount for g in groups)
    tax_total = sum(g.tax_amount for g in groups)
    discount_amount = sum(g.discount_amount for g in groups)
    charge_amount = sum(g.charge_amount for g in groups)
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
                        discount_amounts=tuple(discounts), charge_amounts=tuple(charges))
            for (a, d, c), (_, discounts, charges), n in zip(grosses, itemized, net_amounts, strict=True)
        ),
        # The totals' amounts (net of tax when prices include it) split over the discounts and charges.
        discount_amounts=tuple(allocate(discount_amount, discounts_on_base)),
        charge_amounts=tuple(allocate(charge_amount, charges_on_base)),
    )
