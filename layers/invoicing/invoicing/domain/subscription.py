"""Subscriptions: a customer, items (a recurring price and a quantity), and the periods they bill.

Periods are counted from the billing cycle anchor (`Recurring.boundary`): boundary `k` starts period
`k`. At boundary `k` the subscription bills **once**, on one invoice:

- its licensed items for period `k` (in advance), unless the subscription ends at `k`;
- its metered items for period `k - 1` (in arrears: the usage of the period that just ended, with
  late usage of earlier periods as adjustments naming them: domain/usage.py);
- the prorations of changes made during period `k - 1` (domain/proration.py), and
- its coupon, if the coupon still applies to period `k`.

`billed_through` is the last boundary billed: billing boundary `k` requires `billed_through == k - 1`
and sets it to `k` in the same commit as the invoice, under the subscription's version, so a
boundary can be billed only once — a redelivered message, a rerun, two overlapping runs all find it
billed. A boundary is *due* once it has passed plus the grace period of the subscription's meters
(`due_at`): by then every usage event that counts in the period has arrived.

A trial (`trial_end`) anchors the first period at the trial's end: nothing is billed before it.
Cancelling at period end bills the last period's usage at the next boundary and ends there.
Pausing skips the boundaries that pass while paused (no invoices); resuming bills from the next one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from invoicing.domain.catalog import Price, add_months
from invoicing.domain.coupons import Coupon
from invoicing.domain.errors import Conflict, InvalidInput, InvalidStateTransition, NotFound, invalid_input
from invoicing.domain.events import DomainEvent, new_event
from invoicing.domain.invoice import TaxCode
from invoicing.domain.line_texts import LineTexts
from invoicing.domain.party import Model
from invoicing.domain.proration import Item, Proration, ProrationBasis, ProrationBehavior, prorate
from invoicing.domain.supply import SupplyType
from invoicing.domain.totals import Discount
from invoicing.domain.usage import Adjustment, Period, PeriodUsage

SubscriptionStatus = Literal["trialing", "active", "paused", "canceled"]
# The discount rules a line meets (domain/discount_rules.py `rule_discounts`, bound to an account's rules
# and a customer): what an item's proration reflects.
LineDiscounts = Callable[["PlannedLine"], tuple[Discount, ...]]
MAX_ITEMS = 20
MAX_APPLIED_CHANGES = 20


class SubscriptionItem(Model):
    id: str
    price: Price  # prices never change once created (but for `active`): the subscription keeps a copy
    quantity: int = Field(default=1, ge=0, le=10**7)
    meter: str | None = Field(default=None, description="The event name of the meter a metered item bills")

    @model_validator(mode="after")
    def _recurring(self) -> SubscriptionItem:
        if self.price.recurring is None:
            raise ValueError(f"price '{self.price.id}' is one-time: a subscription item needs a recurring price")
        if self.price.metered and not self.meter:
            raise ValueError(f"price '{self.price.id}' is metered: the item names the meter that counts its usage")
        if not self.price.metered and self.meter:
            raise ValueError(f"price '{self.price.id}' is licensed: only a metered item takes a meter")
        return self


class PendingLine(Model):
    """One proration line waiting for the next invoice (domain/proration.py): the credit for the unused
    time on an old item (`amount` < 0) or the charge for the remaining time on a new one (> 0), for the
    part of the period it covers, at its item's tax code."""

    kind: Literal["credit", "charge"]
    description: str  # what it prorates: "Unused time on 1 × Basic"
    amount: int  # minor units, rounded once (half up, away from zero for a credit); never 0
    price_id: str
    tax_code: TaxCode = "standard"
    supply_type: SupplyType | None = None
    period_start: datetime
    period_end: datetime


class AppliedChange(Model):
    """An item change already applied (its id: the request's, e.g. derived from its Idempotency-Key),
    and the invoice `always_invoice` made for it: a retry of the change finds it here."""

    id: str = Field(min_length=1, max_length=100)
    invoice_id: str | None = None


@dataclass(frozen=True)
class ItemChange:
    """What an item change does beyond the subscription: the proration lines to invoice now
    (`always_invoice`: the subscription's pending ones, this change's included; else none)."""

    invoice_now: tuple[PendingLine, ...] = ()


@dataclass(frozen=True)
class PlannedLine:
    """One line of the invoice a boundary bills, in the invoice's terms."""

    description: str
    quantity: Decimal
    unit_amount_decimal: Decimal
    tax_code: TaxCode
    period: Period
    item_id: str | None = None
    supply_type: SupplyType | None = None  # the price's (its product's); None: the account's default
    discounts: tuple[Discount, ...] = ()  # automatic discount rules (domain/discount_rules.py)
    units: Decimal | None = None  # an item's quantity or usage for the period billed (None: prorations, late usage)
    product_id: str | None = None
    price_id: str | None = None
    proration: bool = False  # not discountable on its invoice: its amount is already what it prorates


class Subscription(Model):
    id: str
    object: Literal["subscription"] = "subscription"
    account_id: str
    customer_id: str
    currency: str
    items: tuple[SubscriptionItem, ...] = Field(min_length=1, max_length=MAX_ITEMS)
    collection_method: Literal["charge_automatically", "send_invoice"] = "send_invoice"
    days_until_due: int | None = Field(default=None, ge=0, le=365)
    billing_cycle_anchor: datetime
    trial_end: datetime | None = None
    status: SubscriptionStatus = "active"
    cancel_at_period_end: bool = False
    canceled_at: datetime | None = None
    ended_at: datetime | None = None
    coupon: Coupon | None = None
    coupon_start: int = 0  # the first period the coupon discounts
    billed_through: int = -1  # the last boundary billed (-1: none yet)
    latest_invoice: str | None = None
    pending_lines: tuple[PendingLine, ...] = ()
    applied_changes: tuple[AppliedChange, ...] = ()  # the last MAX_APPLIED_CHANGES item changes, newest last
    usage_grace_seconds: int = Field(default=0, ge=0)  # the longest grace period of its meters
    test_clock: str | None = None  # lives on a test clock's time (sandbox), not on real time
    metadata: dict[str, str] = Field(default_factory=dict)
    created: datetime
    version: int = 0
    events: tuple[DomainEvent, ...] = Field(default=(), exclude=True)

    @model_validator(mode="after")
    def _consistent(self) -> Subscription:
        recurrings = {(i.price.recurring.interval, i.price.recurring.interval_count)
                      for i in self.items if i.price.recurring}
        if len(recurrings) > 1:
            raise ValueError("every item of a subscription bills at the same interval")
        for item in self.items:
            item.price.terms(self.currency)  # CurrencyNotOffered: never a conversion
        if self.collection_method == "send_invoice" and self.days_until_due is None:
            raise ValueError("send_invoice subscriptions need days_until_due")
        if self.coupon is not None and self.coupon.amount_off is not None:
            self.coupon.amount_off_in(self.currency)
        return self

    # --- periods -----------------------------------------------------------------------------------
    def boundary(self, k: int) -> datetime:
        recurring = self.items[0].price.recurring
        assert recurring is not None
        return recurring.boundary(self.billing_cycle_anchor, k)

    def period(self, k: int) -> Period:
        return Period(self.boundary(k), self.boundary(k + 1))

    def period_at(self, at: datetime) -> Period:
        """The billing period containing `at` (for naming late usage)."""
        k = max(0, self.index_at(at))
        return self.period(k)

    def index_at(self, at: datetime) -> int:
        """The period `at` falls in (-1 before the anchor, in a trial)."""
        if at < self.billing_cycle_anchor:
            return -1
        recurring = self.items[0].price.recurring
        assert recurring is not None
        k = max(0, recurring.periods_between(self.billing_cycle_anchor, at))
        # The guess is exact or one off (a month's day clamped to its end): settle it on the boundaries.
        while k > 0 and self.boundary(k) > at:
            k -= 1
        while self.boundary(k + 1) <= at:
            k += 1
        return k

    @property
    def finished(self) -> bool:
        """Canceled: nothing more is billed (a cancellation at period end bills its last boundary first)."""
        return self.status == "canceled"

    def due_at(self, k: int) -> datetime:
        """When boundary `k` may be billed: once it has passed, plus the grace period of the meters for
        the usage it bills (boundary 0 bills no usage)."""
        return self.boundary(k) + timedelta(seconds=self.usage_grace_seconds if k > 0 else 0)

    @property
    def current_period(self) -> Period | None:
        return self.period(self.billed_through) if self.billed_through >= 0 else None

    # --- what a boundary bills ---------------------------------------------------------------------
    def lines_at(self, k: int, usage: dict[str, PeriodUsage], *, texts: LineTexts) -> list[PlannedLine]:
        """The lines boundary `k` bills. `usage[item_id]` is the metered item's usage for period
        `k - 1`, with its late adjustments (domain/usage.py), a late one described by `texts` (in the
        customer's language)."""
        lines: list[PlannedLine] = []
        ends_here = self.cancel_at_period_end and k > 0
        if not ends_here:
            for item in self.items:
                if not item.price.metered:
                    lines.append(self._line(item, Decimal(item.quantity), self.period(k), texts))
        if k > 0:
            for item in self.items:
                if item.price.metered:
                    used = usage.get(item.id)
                    lines.append(self._line(item, used.quantity if used else Decimal(0), self.period(k - 1), texts))
                    for adjustment in used.adjustments if used else ():
                        # A negative adjustment (`last` went down) needs a negative line (issue 12): skipped.
                        if adjustment.quantity > 0:
                            lines.append(self._late_line(item, adjustment, texts))
        lines.extend(proration_line(pending) for pending in self.pending_lines)
        return lines

    def _late_line(self, item: SubscriptionItem, adjustment: Adjustment, texts: LineTexts) -> PlannedLine:
        """Late usage of an earlier period: what it adds to that period's price, at the tiers the
        period's whole usage reaches (the period's billed usage plus the late usage, minus the billed)."""
        price, period = item.price, adjustment.period
        after = price.exact_amount(adjustment.billed + adjustment.quantity, self.currency)
        amount = after - price.exact_amount(adjustment.billed, self.currency)
        last_day = (period.end - timedelta(microseconds=1)).date()
        what = texts.reported_late(f"{price.nickname or price.product_id} × {texts.quantity(adjustment.quantity)}",
                                   period.start.date(), last_day)
        return PlannedLine(what, Decimal(1), amount, price.tax_code, period, item.id, price.supply_type)

    def _line(self, item: SubscriptionItem, quantity: Decimal, period: Period, texts: LineTexts) -> PlannedLine:
        price = item.price
        what = f"{price.nickname or price.product_id} × {texts.quantity(quantity)}"
        terms = price.terms(self.currency)
        named: dict[str, Any] = {"units": quantity, "product_id": price.product_id, "price_id": price.id}
        if price.billing_scheme == "per_unit" and price.transform_quantity is None:
            return PlannedLine(what, quantity, terms.unit_amount_decimal or Decimal(0), price.tax_code, period, item.id,
                               price.supply_type, **named)
        # Tiers and packages: the line is the price's exact amount for the quantity, rounded once as a
        # line total (domain/pricing.py); the quantity is named in the description.
        return PlannedLine(what, Decimal(1), price.exact_amount(quantity, self.currency), price.tax_code, period,
                           item.id, price.supply_type, **named)

    def coupon_applies(self, k: int) -> bool:
        if self.coupon is None or k < self.coupon_start:
            return False
        match self.coupon.duration:
            case "once":
                return k == self.coupon_start
            case "forever":
                return True
            case _:
                months = self.coupon.duration_in_months or 0
                return self.boundary(k) < add_months(self.boundary(self.coupon_start), months)

    # --- state changes -----------------------------------------------------------------------------
    def billed(self, k: int, invoice_id: str | None, at: datetime,
               carried: tuple[PendingLine, ...] = ()) -> Subscription:
        """Boundary `k` billed on `invoice_id` (None: nothing to bill, a paused period); its pending
        prorations were settled by it but for `carried`, which wait for the next invoice (a paused period's;
        none once the subscription ends)."""
        if k != self.billed_through + 1:
            raise Conflict(f"Boundary {k} of subscription '{self.id}' is not the next to bill "
                           f"({self.billed_through + 1}).", code="already_billed")
        ends = self.cancel_at_period_end and k > 0
        changes: dict[str, Any] = {"billed_through": k, "pending_lines": () if ends else carried,
                                   "version": self.version + 1}
        if invoice_id:
            changes["latest_invoice"] = invoice_id
        if self.status == "trialing" and self.trial_end is not None and self.boundary(k) >= self.trial_end:
            changes["status"] = "active"
        event_type = "subscription.renewed"
        if self.cancel_at_period_end and k > 0:
            changes.update(status="canceled", ended_at=self.boundary(k), canceled_at=self.canceled_at or at)
            event_type = "subscription.deleted"
        return self.model_copy(update=changes)._recorded(event_type, at)

    def cancel(self, *, at_period_end: bool, at: datetime) -> Subscription:
        if self.status == "canceled":
            raise InvalidStateTransition(f"Subscription '{self.id}' is canceled already.", param="subscription")
        if at_period_end:
            return self._changed({"cancel_at_period_end": True, "canceled_at": at}, "subscription.updated", at)
        return self._changed({"status": "canceled", "canceled_at": at, "ended_at": at}, "subscription.deleted", at)

    def pause(self, at: datetime) -> Subscription:
        if self.status not in ("active", "trialing"):
            raise InvalidStateTransition(f"Only an active subscription can be paused (this one is {self.status}).",
                                         param="subscription")
        return self._changed({"status": "paused"}, "subscription.paused", at)

    def resume(self, at: datetime) -> Subscription:
        if self.status != "paused":
            raise InvalidStateTransition("Only a paused subscription can be resumed.", param="subscription")
        return self._changed({"status": "active"}, "subscription.resumed", at)

    def add_item(self, item: SubscriptionItem, *, at: datetime, texts: LineTexts,
                 behavior: ProrationBehavior = "create_prorations", basis: ProrationBasis = "seconds",
                 rules: LineDiscounts | None = None) -> tuple[Subscription, ItemChange]:
        """A new item from `at`: the remaining time of the current period is charged (prorated)."""
        self._changeable()
        if any(i.id == item.id for i in self.items):
            raise Conflict(f"Subscription '{self.id}' has an item '{item.id}' already.", param="items")
        return self._item_changed((*self.items, item), None, item, at=at, behavior=behavior, basis=basis,
                                  rules=rules, texts=texts)

    def remove_item(self, item_id: str, *, at: datetime, texts: LineTexts,
                    behavior: ProrationBehavior = "create_prorations", basis: ProrationBasis = "seconds",
                    rules: LineDiscounts | None = None) -> tuple[Subscription, ItemChange]:
        """The item ends at `at`: the unused time of the current period is credited. A metered item is
        not removed mid-period (its usage so far would go unbilled): cancel, or set its price."""
        self._changeable()
        item = self.item(item_id)
        if item.price.metered:
            raise InvalidInput("A metered item bills its period's usage at the period's end: it cannot be removed "
                               "mid-period.", param="deleted", code="metered_item_not_removable")
        if len(self.items) == 1:
            raise InvalidInput("A subscription keeps at least one item: cancel it instead.", param="deleted",
                               code="last_item")
        items = tuple(i for i in self.items if i.id != item_id)
        return self._item_changed(items, item, None, at=at, behavior=behavior, basis=basis, rules=rules,
                                  texts=texts)

    def update_item(self, item_id: str, *, at: datetime, texts: LineTexts, price: Price | None = None,
                    quantity: int | None = None, behavior: ProrationBehavior = "create_prorations",
                    basis: ProrationBasis = "seconds",
                    rules: LineDiscounts | None = None) -> tuple[Subscription, ItemChange]:
        """The item's new price and/or quantity from `at`: the unused time on the old item credited, the
        remaining time on the new one charged. A metered item's quantity is its usage: only its price changes
        (the period's usage is billed at the price of its end, as in Stripe)."""
        self._changeable()
        item = self.item(item_id)
        if item.price.metered and quantity is not None:
            raise InvalidInput("A metered item bills its usage: it has no quantity.", param="quantity")
        changes: dict[str, Any] = {}
        if price is not None:
            changes["price"] = price
        if quantity is not None:
            changes["quantity"] = quantity
        try:
            new = SubscriptionItem.model_validate({**item.model_dump(), **changes})
        except ValidationError as error:
            raise invalid_input(error) from None
        items = tuple(new if i.id == item_id else i for i in self.items)
        return self._item_changed(items, item, new, at=at, behavior=behavior, basis=basis, rules=rules,
                                  texts=texts)

    def item(self, item_id: str) -> SubscriptionItem:
        item = next((i for i in self.items if i.id == item_id), None)
        if item is None:
            raise NotFound(f"No item '{item_id}' on subscription '{self.id}'.", param="item")
        return item

    def applied_change(self, change_id: str) -> AppliedChange | None:
        return next((c for c in self.applied_changes if c.id == change_id), None)

    def with_applied_change(self, change_id: str, invoice_id: str | None) -> Subscription:
        """Remembers the change (the last MAX_APPLIED_CHANGES), in the same commit as the change."""
        kept = (*self.applied_changes, AppliedChange(id=change_id, invoice_id=invoice_id))[-MAX_APPLIED_CHANGES:]
        return self.model_copy(update={"applied_changes": kept})

    def _changeable(self) -> None:
        if self.status == "canceled":
            raise InvalidStateTransition("A canceled subscription cannot change.", param="subscription")

    def _item_changed(self, items: tuple[SubscriptionItem, ...], old: SubscriptionItem | None,
                      new: SubscriptionItem | None, *, at: datetime, behavior: ProrationBehavior,
                      basis: ProrationBasis, rules: LineDiscounts | None,
                      texts: LineTexts) -> tuple[Subscription, ItemChange]:
        """The subscription with `items`, and the proration of `old` → `new` (None: added or removed)
        within the current period (a change outside it, in a trial or before the boundary is billed,
        prorates nothing: the next boundary bills the items as they are). Each line carries the discounts
        its item has in the period (`_prorated`)."""
        pending = self.pending_lines
        period = self.current_period
        if period is not None and period.start <= at < period.end:
            proration = prorate(self._prorated(old, rules, texts), self._prorated(new, rules, texts),
                                currency=self.currency,
                                period_start=period.start, period_end=period.end, change_at=at, behavior=behavior,
                                basis=basis, texts=texts)
            pending = (*pending, *pending_lines(proration, old, new))
        changed = self._changed({"items": items, "pending_lines": pending}, "subscription.updated", at)
        if behavior == "always_invoice" and changed.pending_lines:
            # Invoiced now, every pending proration of the subscription with it (Stripe's brand new
            # invoice); nothing waits for the next boundary (unless the invoice would come below zero:
            # services/subscription_items.py).
            return changed.model_copy(update={"pending_lines": ()}), ItemChange(changed.pending_lines)
        return changed, ItemChange()

    def _prorated(self, item: SubscriptionItem | None, rules: LineDiscounts | None,
                  texts: LineTexts) -> Item | None:
        """The item as proration sees it, with the discounts it has in the current period (Stripe: the
        discounts of the subscription that affect the proration's amount are reflected in it): the
        discount rule its line meets (`rules`, domain/discount_rules.py), then the coupon when it is a
        percentage that applies to the period. An amount-off coupon is an amount off the period's invoice,
        not a share of any one item: it is not prorated."""
        if item is None:
            return None
        discounts: tuple[Discount, ...] = ()
        if rules is not None and not item.price.metered:
            discounts = rules(self._line(item, Decimal(item.quantity), self.period(self.billed_through), texts))
        coupon = self.coupon
        if coupon is not None and coupon.percent_off is not None and self.coupon_applies(self.billed_through):
            discounts = (*discounts, Discount(description=coupon.name or coupon.id, percent_off=coupon.percent_off))
        return Item(price=item.price, quantity=Decimal(item.quantity), discounts=discounts)

    def _changed(self, changes: dict[str, Any], event_type: str, at: datetime) -> Subscription:
        try:
            updated = Subscription.model_validate({**self.model_dump(), **changes, "version": self.version + 1})
        except ValidationError as error:
            raise invalid_input(error) from None
        return updated.model_copy(update={"events": self.events})._recorded(event_type, at)

    def record_created(self, at: datetime) -> Subscription:
        return self._recorded("subscription.created", at)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "object": "subscription", "customer": self.customer_id, "status": self.status,
                "currency": self.currency, "billed_through": self.billed_through,
                "cancel_at_period_end": self.cancel_at_period_end, "latest_invoice": self.latest_invoice,
                "items": [{"id": i.id, "price": i.price.id, "quantity": i.quantity} for i in self.items]}

    def _recorded(self, type_: str, at: datetime) -> Subscription:
        event = new_event(type_, account_id=self.account_id, aggregate="subscription", aggregate_id=self.id,
                          version=self.version, at=at, obj=self.summary())
        return self.model_copy(update={"events": (*self.events, event)})


def pending_lines(proration: Proration, old: SubscriptionItem | None,
                  new: SubscriptionItem | None) -> tuple[PendingLine, ...]:
    """The proration's lines as they wait for the next invoice, each on its own, as Stripe shows them:
    the credit for the unused time on `old` and the charge for the remaining time on `new`, each at its
    item's tax code (an invoice may hold a negative line: domain/totals.py). A line of nothing (a
    quantity of 0) is left out."""
    items = {"credit": old, "charge": new}
    pending = []
    for line in proration.lines:
        item = items[line.kind]
        if line.amount != 0 and item is not None:
            pending.append(PendingLine(kind=line.kind, description=line.description, amount=line.amount,
                                       price_id=line.price_id, tax_code=item.price.tax_code,
                                       supply_type=item.price.supply_type, period_start=line.period_start,
                                       period_end=line.period_end))
    return tuple(pending)


def proration_line(pending: PendingLine) -> PlannedLine:
    """A pending proration as the line an invoice bills, for the part of the period it covers: a credit
    is a quantity of -1 at the credit's amount (EN 16931 BR-27: a unit price is never negative)."""
    return PlannedLine(description=pending.description, quantity=Decimal(1 if pending.amount > 0 else -1),
                       unit_amount_decimal=Decimal(abs(pending.amount)), tax_code=pending.tax_code,
                       period=Period(pending.period_start, pending.period_end), supply_type=pending.supply_type,
                       price_id=pending.price_id, proration=True)
