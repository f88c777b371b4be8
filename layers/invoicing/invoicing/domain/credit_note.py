"""Credit notes: the only way to correct a finalized invoice.

A credit note carries its own number (a gapless series of its own) and lines, as Stripe models
them: a line credits an invoice line (all that remains of it, a quantity of it, or an amount of
it) or is a custom line at one of the invoice's (category, rate) groups. Tax is computed per
(category, rate) from those lines by the invoice's own rule (domain/totals.py: once per group,
half up, on the nets with tax-exclusive prices, on the grosses with tax-inclusive ones).

Rounding is cumulative: what the invoice's credit notes have reversed at a rate is always the
invoice's tax on everything they credited at that rate, rounded once. A credit note's tax at a
rate is that figure after it minus that figure before it, so the first credit note's tax is the
invoice's tax on its base, and crediting every line, in one credit note or in several, reverses
exactly the invoice's tax per rate, never a cent more. The invoice keeps the running figures
(`Invoice.credit_ledger`), so its version check makes concurrent credit notes take turns.

An amount alone (no lines) says nothing of which rate it corrects, so it is accepted only on an
invoice with a single (category, rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, localcontext
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator

from invoicing.domain.errors import Conflict, InvalidInput, InvalidStateTransition
from invoicing.domain.invoice import CreditedGroup, CreditedLine, CreditLedger, Invoice, InvoiceLine
from invoicing.domain.money import allocate, round_minor
from invoicing.domain.tax import TaxKey, TaxRate
from invoicing.domain.totals import TaxGroup

HUNDRED = Decimal(100)
CreditReason = Literal["duplicate", "fraudulent", "order_change", "product_unsatisfactory"]
CreditLineType = Literal["invoice_line_item", "custom_line_item"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# --- what is asked ----------------------------------------------------------------------------


class CreditLineRequest(_Frozen):
    """One line of a credit note as asked (parsed at the edge). Amounts are in the invoice's price
    terms: excluding tax with tax-exclusive prices, including it with tax-inclusive ones."""

    type: CreditLineType
    invoice_line_item: str | None = None  # invoice_line_item: the line credited
    quantity: Decimal | None = None  # invoice line: how many of it; custom: default 1
    amount: int | None = None  # invoice line: how much of it
    description: str | None = None  # custom lines
    unit_amount_decimal: Decimal | None = None  # custom lines, minor units
    unit_code: str = "C62"  # custom lines
    tax_rate: TaxRate | None = None  # custom lines: one of the invoice's (category, rate)
    tax_rates: tuple[TaxRate, ...] = ()  # custom lines: several of the invoice's taxes, stacked


class CreditRequest(_Frozen):
    """A credit note as asked: `lines`, or an `amount` (including tax) alone, or neither (all that
    can still be credited)."""

    lines: tuple[CreditLineRequest, ...] = ()
    amount: int | None = None
    reason: CreditReason | None = None
    memo: str | None = None
    credit_amount: int | None = None  # after payment: to the customer's balance
    out_of_band_amount: int | None = None  # after payment: refunded elsewhere


# --- what is issued ---------------------------------------------------------------------------


class CreditNoteLine(_Frozen):
    id: str
    object: Literal["credit_note_line_item"] = "credit_note_line_item"
    type: CreditLineType
    invoice_line_item: str | None
    description: str | None  # None: a credit by an amount alone (documents name it in their language)
    quantity: Decimal | None  # None: a credit by amount, which counts no quantity
    unit_code: str
    unit_amount_decimal: Decimal | None  # minor units, in the invoice's price terms
    amount: int  # in the invoice's price terms, before invoice-level discounts and charges
    base_amount: int  # after the line's share of them: what the tax is computed on
    net_amount: int  # excluding tax (EN 16931 BT-131 of the credit note)
    tax: TaxRate
    taxes: tuple[TaxRate, ...] = ()  # with stacked taxes, all of them (`tax` is the first)
    period_start: date | None = None
    period_end: date | None = None

    @property
    def applied_taxes(self) -> tuple[TaxRate, ...]:
        return self.taxes or (self.tax,)


class CreditNoteTaxGroup(_Frozen):
    model_config = ConfigDict(frozen=True)

    category: str
    percent: Decimal
    name: str
    exemption_reason: str | None
    taxable_amount: int
    tax_amount: int
    tax_type: str = "vat"
    jurisdiction: str | None = None
    compound: bool = False
    taxes_in_base: int = 0  # a compound tax's: the other taxes it is computed on (domain/totals.py)
    legal_note: str | None = None  # the credited rate's note in data/vat_legal_notes.json
    exemption_code: str | None = None  # the credited rate's VATEX code as given (TaxRate.exemption_code)


class CreditNote(_Frozen):
    id: str
    object: Literal["credit_note"] = "credit_note"
    account_id: str
    invoice_id: str
    invoice_number: str
    customer_id: str
    number: str
    currency: str
    amount: int  # total credited, including tax
    subtotal: int  # excluding tax
    tax: int
    tax_groups: tuple[CreditNoteTaxGroup, ...]
    lines: tuple[CreditNoteLine, ...] = ()  # empty on credit notes issued before lines were kept
    tax_behavior: Literal["exclusive", "inclusive"] = "exclusive"  # the invoice's
    type: Literal["pre_payment", "post_payment"]  # post_payment: some of it returns what was paid
    pre_payment_amount: int = 0  # what it took off the amount due
    post_payment_amount: int = 0  # the rest: credit_amount + out_of_band_amount
    credit_amount: int = 0  # after payment: what went to the customer's credit balance
    out_of_band_amount: int = 0  # after payment: what was refunded outside this system
    reason: CreditReason | None = None
    memo: str | None = None
    issue_date: datetime
    created: datetime

    @model_validator(mode="before")
    @classmethod
    def _split_of_stored_notes(cls, data: Any) -> Any:
        # Credit notes stored before the split was kept were wholly one or the other.
        if isinstance(data, dict) and "pre_payment_amount" not in data and "post_payment_amount" not in data:
            after = data.get("type") == "post_payment"
            data = {**data, "pre_payment_amount": 0 if after else data.get("amount", 0),
                    "post_payment_amount": data.get("amount", 0) if after else 0}
            if after and "credit_amount" not in data:
                data["credit_amount"] = data.get("amount", 0)
        return data

    def summary(self) -> dict[str, Any]:
        """The credit note as events carry it."""
        return {"id": self.id, "object": "credit_note", "number": self.number, "invoice": self.invoice_id,
                "customer": self.customer_id, "currency": self.currency, "amount": self.amount,
                "subtotal": self.subtotal, "tax": self.tax, "type": self.type,
                "pre_payment_amount": self.pre_payment_amount, "post_payment_amount": self.post_payment_amount,
                "credit_amount": self.credit_amount, "out_of_band_amount": self.out_of_band_amount,
                "tax_groups": [{"category": g.category, "percent": _decimal_text(g.percent),
                                "tax_type": g.tax_type, "jurisdiction": g.jurisdiction,
                                "taxable_amount": g.taxable_amount, "tax_amount": g.tax_amount}
                               for g in self.tax_groups],
                "lines": [{"id": line.id, "type": line.type, "invoice_line_item": line.invoice_line_item,
                           "quantity": _decimal_text(line.quantity) if line.quantity is not None else None,
                           "amount": line.amount, "net_amount": line.net_amount,
                           "tax": {"category": line.tax.category, "percent": _decimal_text(line.tax.percent)}}
                          for line in self.lines]}


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


# --- the rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Planned:
    request_index: int | None  # None: the lines were not asked for (everything, or an amount alone)
    type: CreditLineType
    invoice_line: InvoiceLine | None
    description: str | None
    quantity: Decimal | None
    unit_code: str
    unit_amount: Decimal | None
    amount: int
    base_amount: int
    taxes: tuple[TaxRate, ...]

    @property
    def keys(self) -> tuple[TaxKey, ...]:
        return tuple(rate.group_key for rate in self.taxes)


@dataclass(frozen=True)
class CreditPlan:
    """What a credit note takes from its invoice: its lines and tax groups, and the invoice's
    ledger after it."""

    lines: tuple[CreditNoteLine, ...]
    tax_groups: tuple[CreditNoteTaxGroup, ...]
    ledger: CreditLedger

    @property
    def subtotal(self) -> int:
        # The lines' nets: a line with stacked taxes is in several groups but counts once.
        return sum(line.net_amount for line in self.lines)

    @property
    def tax(self) -> int:
        return sum(g.tax_amount for g in self.tax_groups)

    @property
    def amount(self) -> int:
        return self.subtotal + self.tax


def issue_credit_note(invoice: Invoice, request: CreditRequest, *, credit_note_id: str, number: str,
                      now: datetime) -> tuple[CreditNote, Invoice]:
    """The credit note and the invoice it credits, as one commit writes them. Raises `InvalidInput`
    (400) for a credit the invoice cannot take and `Conflict` (409) for one its state forbids."""
    plan = plan_credit(invoice, request, credit_note_id=credit_note_id)
    if request.amount is not None and request.lines and request.amount != plan.amount:
        raise InvalidInput(f"amount ({request.amount}) is not the total of the lines ({plan.amount}); "
                           "give one or the other, or both equal.", param="amount", code="amount_mismatch")
    pre, post = invoice.credit_split(plan.amount)  # what remains due, then what was paid
    kind: Literal["pre_payment", "post_payment"] = "post_payment" if post else "pre_payment"
    credit_amount, out_of_band = _settlement(post, request)
    assert invoice.number is not None
    note = CreditNote(
        id=credit_note_id, account_id=invoice.account_id, invoice_id=invoice.id, invoice_number=invoice.number,
        customer_id=invoice.customer_id, number=number, currency=invoice.currency, amount=plan.amount,
        subtotal=plan.subtotal, tax=plan.tax, tax_groups=plan.tax_groups, lines=plan.lines,
        tax_behavior=invoice.tax_behavior, type=kind, pre_payment_amount=pre, post_payment_amount=post,
        credit_amount=credit_amount,
        out_of_band_amount=out_of_band, reason=request.reason, memo=request.memo, issue_date=now, created=now,
    )
    credited, _ = invoice.credited(plan.amount, now, note.summary(), ledger=plan.ledger)
    return note, credited


def _settlement(post: int, request: CreditRequest) -> tuple[int, int]:
    """What is credited beyond what remains due (after payment, or of customer credit applied to the
    invoice) goes to the customer's balance, or is recorded as refunded outside this system
    (`out_of_band_amount`); the two add up to it. What lowers the amount due needs neither."""
    out_of_band = request.out_of_band_amount
    credit = request.credit_amount
    if not post:
        for name in ("credit_amount", "out_of_band_amount"):
            if getattr(request, name):
                raise InvalidInput(f"{name} applies to what a credit note returns after payment; this one only "
                                   "lowers what is still due on the invoice.", param=name)
        return 0, 0
    if credit is None and out_of_band is None:
        return post, 0
    if credit is None:
        credit = post - (out_of_band or 0)
    if out_of_band is None:
        out_of_band = post - credit
    if credit < 0 or out_of_band < 0 or credit + out_of_band != post:
        raise InvalidInput(f"credit_amount ({credit}) and out_of_band_amount ({out_of_band}) must add up to what "
                           f"the credit note returns after payment ({post}).", param="credit_amount")
    return credit, out_of_band


def plan_credit(invoice: Invoice, request: CreditRequest, *, credit_note_id: str = "cn") -> CreditPlan:
    """The lines and tax groups a credit note takes, checked against what the invoice's credit
    notes have already taken, per line (quantity and amount) and per (category, rate)."""
    totals = invoice.totals
    if invoice.status not in ("open", "uncollectible", "paid") or totals is None:
        raise InvalidStateTransition(f"Credit notes can be issued only for open or paid invoices; this one is "
                                     f"{invoice.status}.", param="invoice")
    if request.amount is not None and request.amount <= 0:
        raise InvalidInput("A credit note's amount must be positive.", param="amount")
    for name in ("credit_amount", "out_of_band_amount"):
        if (getattr(request, name) or 0) < 0:
            raise InvalidInput(f"{name} must not be negative.", param=name)
    if request.lines:
        _require_ledger(invoice)
        planned = _lines(invoice, request.lines)
        return _finish(invoice, planned, credit_note_id)
    if request.amount is not None:
        return _amount_only(invoice, request.amount, credit_note_id)
    # Neither: everything that can still be credited, line by line.
    _require_ledger(invoice)
    _require_lines_for_every_group(invoice)
    terms = _line_terms(invoice)
    remaining = [CreditLineRequest(type="invoice_line_item", invoice_line_item=line.id) for line in invoice.lines
                 if terms[line.id][0] > invoice.credit_ledger.line(line.id).amount]
    if not remaining:
        return _amount_only(invoice, invoice.creditable_amount, credit_note_id)
    single_rate = len(totals.tax_groups) == 1
    try:
        plan = _finish(invoice, _lines(invoice, remaining, asked=False), credit_note_id)
    except InvalidInput:
        if not single_rate:
            raise
        plan = None  # credits by amount took part of the rate: what is left is credited by amount
    if plan is None or (plan.amount > invoice.creditable_amount and single_rate):
        # (Customer credit applied to the invoice is not credited back: the rest of what is due is.)
        return _amount_only(invoice, invoice.creditable_amount, credit_note_id)
    return plan


def _require_lines_for_every_group(invoice: Invoice) -> None:
    """Crediting everything goes line by line over the positive lines: a negative line, or a VAT group
    with no line (a charge at a rate no line carries), would be left out, so it is refused with what to
    do instead."""
    totals = invoice.totals
    assert totals is not None
    carried = {rate.group_key for line in invoice.lines for rate in line.applied_taxes}
    lineless = [g for g in totals.tax_groups if g.key not in carried and g.taxable_amount]
    if any(amounts.net_amount < 0 for amounts in totals.lines):
        raise InvalidInput(
            f"Invoice {invoice.number} has negative lines (returns, deductions), which a credit note does not "
            "credit: credit its other lines by quantity or amount, or the whole by custom lines at its rates.",
            param="lines", code="credit_lines_required")
    if lineless:
        group = lineless[0]
        raise InvalidInput(
            f"Invoice {invoice.number} has a charge at {group.category} {_decimal_text(group.percent)} %, which none "
            "of its lines carries: credit its lines and that charge as a custom_line_item at that rate.",
            param="lines", code="credit_lines_required")


def _require_ledger(invoice: Invoice) -> None:
    credited = invoice.pre_payment_credit_notes_amount + invoice.post_payment_credit_notes_amount
    if credited != invoice.credit_ledger.gross:
        raise Conflict(f"Invoice {invoice.number} has credit notes issued before credits were kept per line "
                       "and rate: credit it by amount.", param="lines", code="credit_ledger_missing")


# --- lines ------------------------------------------------------------------------------------


def _line_terms(invoice: Invoice) -> dict[str, tuple[int, int]]:
    """Each invoice line's (amount, share): its amount in its own price terms, and its share of its
    group's base after invoice-level discounts and charges (the shares add up to the group's base)."""
    totals = invoice.totals
    assert totals is not None
    inclusive = invoice.tax_behavior == "inclusive"
    amounts = {line.id: (a.adjusted_amount if inclusive else a.net_amount)
               for line, a in zip(invoice.lines, totals.lines, strict=True)}
    if all(a.base_amount is not None for a in totals.lines):
        return {line.id: (amounts[line.id], a.base_amount or 0) for line, a in zip(invoice.lines, totals.lines,
                                                                                   strict=True)}
    # Totals stored before the shares were recorded (one tax per line): each group's base over its lines.
    terms: dict[str, tuple[int, int]] = {}
    for group in totals.tax_groups:
        members = [line for line in invoice.lines if _key(line.tax) == group.key]
        shares = allocate(_group_base(group, inclusive), [amounts[line.id] for line in members])
        for line, share in zip(members, shares, strict=True):
            terms[line.id] = (amounts[line.id], share)
    return terms


def _lines(invoice: Invoice, requests: Sequence[CreditLineRequest], *,
           asked: bool = True) -> tuple[list[_Planned], CreditLedger]:
    terms = _line_terms(invoice)
    by_id = {line.id: line for line in invoice.lines}
    ledger = invoice.credit_ledger
    planned: list[_Planned] = []
    for index, req in enumerate(requests):
        param = f"lines[{index}]"
        for name in ("quantity", "amount"):
            if (getattr(req, name) or 1) <= 0:
                raise InvalidInput(f"{param}.{name} must be positive.", param=f"{param}.{name}")
        if req.type == "custom_line_item":
            planned.append(_custom(invoice, req, index, param))
            continue
        for name in ("description", "unit_amount_decimal", "tax_rate", "tax_rates"):
            if getattr(req, name) not in (None, ()):
                raise InvalidInput(f"{param}.{name} applies to a custom_line_item; an invoice_line_item credits "
                                   "the invoice line as it was invoiced.", param=f"{param}.{name}")
        if not req.invoice_line_item:
            raise InvalidInput(f"{param}: an invoice_line_item line names the invoice line it credits.",
                               param=f"{param}.invoice_line_item", code="missing_field")
        line = by_id.get(req.invoice_line_item)
        if line is None:
            raise InvalidInput(f"Invoice {invoice.number} has no line '{req.invoice_line_item}'.",
                               param=f"{param}.invoice_line_item", code="line_missing")
        assert line.tax is not None
        line_amount, share = terms[line.id]
        done = ledger.line(line.id)
        left_quantity, left_amount = line.quantity - done.quantity, line_amount - done.amount
        what = f"Line '{line.id}' ({line.description})"
        if line_amount <= 0:
            raise InvalidInput(f"{what} has no amount to credit.", param=f"{param}.invoice_line_item",
                               code="credit_empty")
        if left_amount <= 0:
            raise InvalidInput(f"{what} is already fully credited.", param=f"{param}.invoice_line_item",
                               code="line_fully_credited")
        quantity = req.quantity
        if quantity is not None and quantity > left_quantity:
            raise InvalidInput(f"{what}: crediting {_decimal_text(quantity)} would exceed its quantity "
                               f"({_decimal_text(line.quantity)}, of which {_decimal_text(done.quantity)} already "
                               "credited).", param=f"{param}.quantity", code="credit_exceeds_line")
        if req.amount is not None:
            amount = req.amount
        elif quantity is not None:
            # A quantity credits its share of the line; the last of the quantity takes what is left.
            with localcontext(prec=60):
                amount = left_amount if quantity == left_quantity else round_minor(
                    Decimal(line_amount) * quantity / line.quantity)
        else:
            amount, quantity = left_amount, (left_quantity if left_quantity > 0 else None)
        if amount > left_amount:
            raise InvalidInput(f"{what}: crediting {amount} would exceed what remains of its amount ({left_amount} "
                               f"of {line_amount}).", param=f"{param}.amount" if req.amount else param,
                               code="credit_exceeds_line")
        if amount <= 0:
            raise InvalidInput(f"{what}: this credits nothing.", param=param, code="credit_empty")
        # The base is the line's share of its group's base in proportion to what was credited of the
        # line, cumulatively: all of the line takes all of its share, exactly.
        total_amount = done.amount + amount
        with localcontext(prec=60):
            total_base = share if total_amount == line_amount else round_minor(
                Decimal(share) * total_amount / line_amount)
        base = total_base - done.base_amount
        ledger = ledger.with_line(CreditedLine(line_id=line.id, quantity=done.quantity + (quantity or 0),
                                               amount=total_amount, base_amount=total_base))
        planned.append(_Planned(index if asked else None, "invoice_line_item", line, line.description, quantity,
                                line.unit_code, line.unit_amount_decimal if quantity is not None else None,
                                amount, base, line.applied_taxes))
    return planned, ledger


def _custom(invoice: Invoice, req: CreditLineRequest, index: int, param: str) -> _Planned:
    """A custom line: its own description and price, at one of the invoice's (category, rate)."""
    if req.invoice_line_item is not None or req.amount is not None:
        name = "invoice_line_item" if req.invoice_line_item is not None else "amount"
        raise InvalidInput(f"{param}.{name} applies to an invoice_line_item; a custom_line_item has a "
                           "quantity and unit_amount.", param=f"{param}.{name}")
    if not req.description:
        raise InvalidInput(f"{param}: a custom_line_item needs a description.", param=f"{param}.description",
                           code="missing_field")
    if req.unit_amount_decimal is None:
        raise InvalidInput(f"{param}: a custom_line_item needs unit_amount or unit_amount_decimal.",
                           param=f"{param}.unit_amount", code="missing_field")
    rates = _invoice_rates(invoice)
    asked = (req.tax_rate,) if req.tax_rate is not None else req.tax_rates
    if req.tax_rate is not None and req.tax_rates:
        raise InvalidInput(f"{param}: give tax_rate or tax_rates, not both.", param=f"{param}.tax_rates")
    if not asked:
        # Lines that all carry the same taxes (one rate, or GST and QST on every line) say which.
        sets = list(dict.fromkeys(line.applied_taxes for line in invoice.lines if line.applied_taxes))
        if len(sets) != 1:
            raise InvalidInput(f"{param}: invoice {invoice.number} has {len(rates)} tax rates "
                               f"({_rates_text(rates)}); a custom line names the one it credits in tax_rate "
                               "(or the stacked ones in tax_rates).", param=f"{param}.tax_rate",
                               code="tax_rate_required")
        taxes = tuple(rates[rate.group_key] for rate in sets[0])
    else:
        if len({rate.group_key for rate in asked}) != len(asked):
            raise InvalidInput(f"{param}: the same tax is named twice.", param=f"{param}.tax_rates",
                               code="tax_rate_duplicate")
        found = [rates.get(rate.group_key) for rate in asked]
        for rate, match in zip(asked, found, strict=True):
            if match is None:
                raise InvalidInput(f"{param}: invoice {invoice.number} charged no tax at {_rate_text(rate)} (its "
                                   f"rates: {_rates_text(rates)}); a credit note corrects the tax the invoice "
                                   "charged.", param=f"{param}.tax_rate" if req.tax_rate else f"{param}.tax_rates",
                                   code="tax_rate_not_on_invoice")
        taxes = tuple(match for match in found if match is not None)
    quantity = req.quantity if req.quantity is not None else Decimal(1)
    if req.unit_amount_decimal < 0:
        raise InvalidInput(f"{param}.unit_amount_decimal must not be negative.", param=f"{param}.unit_amount")
    with localcontext(prec=60):
        amount = round_minor(quantity * req.unit_amount_decimal)
    if amount <= 0:
        raise InvalidInput(f"{param}: this credits nothing.", param=param, code="credit_empty")
    return _Planned(index, "custom_line_item", None, req.description, quantity, req.unit_code,
                    req.unit_amount_decimal, amount, amount, taxes)


def _invoice_rates(invoice: Invoice) -> dict[TaxKey, TaxRate]:
    """The invoice's taxes, one per group (`TaxRate.group_key`), as its lines carry them (name, reason)."""
    rates: dict[TaxKey, TaxRate] = {}
    for line in invoice.lines:
        for rate in line.applied_taxes:
            rates.setdefault(rate.group_key, rate)
    # A charge at a rate no line carries (freight at 25 % on books at 6 %) is credited by a custom line.
    for adjustment_rate in (*(d.tax_rate for d in invoice.discounts), *(c.tax_rate for c in invoice.charges)):
        if adjustment_rate is not None:
            rates.setdefault(adjustment_rate.group_key, adjustment_rate)
    return rates


def _rate_text(rate: TaxRate) -> str:
    if rate.is_vat and rate.jurisdiction is None and not rate.compound:
        return f"{rate.category} {_decimal_text(rate.percent)} %"
    where = f" {rate.jurisdiction}" if rate.jurisdiction else ""
    compound = ", compound" if rate.compound else ""
    return f"{rate.name} ({rate.tax_type}{where}{compound}) {_decimal_text(rate.percent)} %"


def _rates_text(rates: dict[TaxKey, TaxRate]) -> str:
    return ", ".join(_rate_text(r) for r in rates.values())


def _key(rate: TaxRate | None) -> TaxKey:
    assert rate is not None
    return rate.group_key


def _group_base(group: TaxGroup, inclusive: bool) -> int:
    """What the group's tax is computed on: its taxable amount, or its gross with inclusive prices."""
    return group.taxable_amount + group.tax_amount if inclusive else group.taxable_amount


def _group_tax(base: int, percent: Decimal, inclusive: bool) -> int:
    """The invoice's rule (domain/totals.py): tax on a group's base, rounded once, half up."""
    if inclusive:
        return round_minor(Decimal(base) * percent / (HUNDRED + percent))
    return round_minor(Decimal(base) * percent / HUNDRED)


# --- groups -----------------------------------------------------------------------------------


def _finish(invoice: Invoice, planned_and_ledger: tuple[list[_Planned], CreditLedger],
            credit_note_id: str) -> CreditPlan:
    """Tax per group (each tax: per (category, rate), and per stacked tax) from the lines,
    cumulatively; each line's net excluding tax. A line with stacked taxes counts in each of its groups."""
    planned, ledger = planned_and_ledger
    credited_before = ledger.credited_taxable
    totals = invoice.totals
    assert totals is not None
    inclusive = invoice.tax_behavior == "inclusive"
    groups: list[CreditNoteTaxGroup] = []
    nets: dict[int, int] = {}
    for group in totals.tax_groups:
        members = [i for i, p in enumerate(planned) if group.key in p.keys]
        if not members:
            continue
        base = sum(planned[i].base_amount for i in members)
        done = ledger.group(group)
        cap = _group_base(group, inclusive)
        total_base = done.base_amount + base
        if total_base > cap:
            asked = [planned[i].request_index for i in members if planned[i].request_index is not None]
            raise InvalidInput(
                f"The credit at {_rate_text(planned[members[0]].taxes[planned[members[0]].keys.index(group.key)])} "
                f"({base}) would exceed what remains of that rate on invoice {invoice.number} "
                f"({cap - done.base_amount} of {cap}).",
                param=f"lines[{asked[-1]}]" if asked else "amount", code="credit_exceeds_tax_group")
        # Cumulative: the invoice's rounding on all that was credited at this rate, less what earlier
        # credit notes already reversed; all of it reverses exactly the invoice's tax. A compound tax is
        # computed on the credited base plus its lines' other taxes on it, as the invoice computed it.
        on = _compounded_on(invoice, group)
        in_base = group.taxes_in_base if total_base == cap else _in_base(total_base, on)
        in_base_before = _in_base(done.base_amount, on)
        total_tax = group.tax_amount if total_base == cap else _group_tax(total_base + in_base, group.percent,
                                                                          inclusive)
        tax = min(max(total_tax - done.tax_amount, 0), group.tax_amount - done.tax_amount)
        taxable = base - tax if inclusive else base
        if total_base == cap:
            taxable = group.taxable_amount - done.taxable_amount
            tax = group.tax_amount - done.tax_amount
        for i, net in zip(members, _nets(planned, members, taxable, inclusive), strict=True):
            nets[i] = net
        ledger = ledger.with_group(done.model_copy(update={
            "base_amount": total_base, "taxable_amount": done.taxable_amount + taxable,
            "tax_amount": done.tax_amount + tax}))
        first = planned[members[0]]
        rate = first.taxes[first.keys.index(group.key)]
        groups.append(CreditNoteTaxGroup(category=group.category, percent=group.percent, name=rate.name,
                                         exemption_reason=rate.exemption_reason, taxable_amount=taxable,
                                         tax_amount=tax, tax_type=group.tax_type, jurisdiction=group.jurisdiction,
                                         compound=group.compound, taxes_in_base=in_base - in_base_before,
                                         legal_note=rate.legal_note, exemption_code=rate.exemption_code))
    suffix = credit_note_id.removeprefix("cn_")
    lines = tuple(
        CreditNoteLine(
            id=f"cnli_{suffix}_{n + 1}", type=p.type, invoice_line_item=p.invoice_line.id if p.invoice_line else None,
            description=p.description, quantity=p.quantity, unit_code=p.unit_code if p.quantity is not None else "C62",
            unit_amount_decimal=p.unit_amount, amount=p.amount, base_amount=p.base_amount, net_amount=nets[n],
            tax=p.taxes[0], taxes=p.taxes if len(p.taxes) > 1 else (),
            period_start=p.invoice_line.period_start if p.invoice_line else None,
            period_end=p.invoice_line.period_end if p.invoice_line else None,
        )
        for n, p in enumerate(planned)
    )
    return CreditPlan(lines=lines, tax_groups=tuple(groups),
                      ledger=ledger.model_copy(update={
                          "taxable_amount": credited_before + sum(line.net_amount for line in lines)}))


def _compounded_on(invoice: Invoice, group: TaxGroup) -> tuple[Decimal, ...]:
    """The rates of the taxes a compound group is computed on: its lines' other, non-compound taxes,
    the same on each of its lines (domain/totals.py); none for a tax that is not compound."""
    if not group.compound:
        return ()
    line = next(line for line in invoice.lines if group.key in [r.group_key for r in line.applied_taxes])
    return tuple(r.percent for r in line.applied_taxes if not r.compound)


def _in_base(base: int, percents: tuple[Decimal, ...]) -> int:
    """The other taxes a compound tax's base includes: each at its rate on the base, rounded half up."""
    return sum(round_minor(Decimal(base) * percent / HUNDRED) for percent in percents)


def _nets(planned: list[_Planned], members: list[int], taxable: int, inclusive: bool) -> list[int]:
    """Each line's net excluding tax: its base with exclusive prices; with inclusive ones the group's
    taxable amount spread over its lines by their bases (so the nets add up to it exactly)."""
    if not inclusive:
        return [planned[i].base_amount for i in members]
    return allocate(taxable, [planned[i].base_amount for i in members])


def _amount_only(invoice: Invoice, amount: int, credit_note_id: str) -> CreditPlan:
    """A credit of an amount including tax, with no lines: only on an invoice with a single
    (category, rate), where it can only mean that rate."""
    totals = invoice.totals
    assert totals is not None
    if amount <= 0:
        raise InvalidInput("Nothing remains to be credited on this invoice.", param="amount", code="credit_empty")
    if len(totals.tax_groups) != 1:
        rates = _invoice_rates(invoice)
        raise InvalidInput(
            f"Invoice {invoice.number} has {len(totals.tax_groups)} tax rates ({_rates_text(rates)}): a credit by "
            "amount alone cannot say which tax it corrects. Give `lines`: the invoice lines credited (all, a "
            "quantity or an amount of each), or custom lines with their tax_rate.",
            param="amount", code="amount_requires_lines")
    group = totals.tax_groups[0]
    inclusive = invoice.tax_behavior == "inclusive"
    done = invoice.credit_ledger.group(group)
    cap = _group_base(group, inclusive)
    if amount > (group.taxable_amount - done.taxable_amount) + (group.tax_amount - done.tax_amount):
        raise InvalidInput(f"The credit note ({amount}) exceeds what remains to be credited of invoice "
                           f"{invoice.number}.", param="amount", code="credit_exceeds_invoice")
    if inclusive:
        base = amount  # the base is the gross
    else:
        base = _exclusive_base(amount, done, group)
    rate = _invoice_rates(invoice)[group.key]
    planned = [_Planned(None, "custom_line_item", None, None, None, "C62",
                        None, base, base, (rate,))]
    plan = _finish(invoice, (planned, invoice.credit_ledger), credit_note_id)
    if plan.amount != amount:
        # Tax-exclusive rounding can skip a gross (at 25 %, no net gives 0.02 with its tax): the tax takes
        # the minor unit, never more than the invoice's tax left at that rate.
        tax_group = plan.tax_groups[0]
        tax = min(amount - base, group.tax_amount - done.tax_amount)
        taxable = amount - tax
        if done.base_amount + taxable > cap:
            raise InvalidInput(f"The credit note ({amount}) exceeds what remains to be credited of invoice "
                               f"{invoice.number}.", param="amount", code="credit_exceeds_invoice")
        fixed = tax_group.model_copy(update={"taxable_amount": taxable, "tax_amount": tax})
        line = plan.lines[0].model_copy(update={"amount": taxable, "base_amount": taxable, "net_amount": taxable})
        ledger = invoice.credit_ledger.with_taxable(taxable).with_group(done.model_copy(update={
            "base_amount": done.base_amount + taxable, "taxable_amount": done.taxable_amount + taxable,
            "tax_amount": done.tax_amount + tax}))
        plan = CreditPlan(lines=(line,), tax_groups=(fixed,), ledger=ledger)
    return plan


def _exclusive_base(amount: int, done: CreditedGroup, group: TaxGroup) -> int:
    """The largest net whose tax (cumulatively, by the invoice's rule) makes a gross of at most `amount`."""
    cap = group.taxable_amount - done.base_amount
    if amount == cap + group.tax_amount - done.tax_amount:
        return cap  # the rest of the invoice: exactly

    def gross(base: int) -> int:
        return base + _group_tax(done.base_amount + base, group.percent, False) - done.tax_amount

    base = min(cap, round_minor(Decimal(amount) * HUNDRED / (HUNDRED + group.percent)))
    while base > 0 and gross(base) > amount:
        base -= 1
    while base < cap and gross(base + 1) <= amount:
        base += 1
    return base
