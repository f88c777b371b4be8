"""Use cases for subscriptions: create, change, cancel, pause and resume (billing them: services/billing.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import ValidationError

from invoicing.domain.errors import InvalidInput, invalid_input
from invoicing.domain.subscription import Subscription, SubscriptionItem
from invoicing.services.ports import Clock, Ids, Page, UnitOfWork


@dataclass(frozen=True)
class NewItem:
    price_id: str
    quantity: int = 1
    meter: str | None = None  # the event name of the meter a metered price bills


@dataclass(frozen=True)
class NewSubscription:
    customer_id: str
    items: Sequence[NewItem]
    collection_method: Literal["charge_automatically", "send_invoice"] = "send_invoice"
    days_until_due: int | None = None
    trial_end: datetime | None = None
    coupon_id: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SubscriptionService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids

    def create(self, account_id: str, cmd: NewSubscription) -> Subscription:
        """A subscription of a customer on a test clock lives on the clock: created at its time, and
        registered with it in the same commit."""
        with self.uow:
            customer = self.uow.customers.get(account_id, cmd.customer_id)
            clock = self.uow.test_clocks.get(account_id, customer.test_clock) if customer.test_clock else None
            now = clock.frozen_time if clock else self.clock.now()
            if cmd.trial_end is not None and cmd.trial_end <= now:
                raise InvalidInput("trial_end must be in the future.", param="trial_end")
            items, grace = [], 0
            for i, new in enumerate(cmd.items):
                price = self.uow.prices.get(account_id, new.price_id)
                if not price.active:
                    raise InvalidInput(f"Price '{price.id}' is inactive.", param=f"items[{i}].price")
                if new.meter:
                    grace = max(grace, self.uow.meters.by_event_name(account_id, new.meter).grace_period_seconds)
                items.append({"id": self.ids.new("si"), "price": price, "quantity": new.quantity, "meter": new.meter})
            coupon = self.uow.coupons.get(account_id, cmd.coupon_id) if cmd.coupon_id else None
            if coupon is not None and not coupon.redeemable(now):
                raise InvalidInput(f"Coupon '{coupon.id}' can no longer be redeemed.", param="coupon")
            try:
                sub = Subscription(
                    id=self.ids.new("sub"), account_id=account_id, customer_id=customer.id,
                    currency=customer.currency, items=tuple(SubscriptionItem.model_validate(i) for i in items),
                    collection_method=cmd.collection_method, days_until_due=cmd.days_until_due,
                    billing_cycle_anchor=cmd.trial_end or now, trial_end=cmd.trial_end,
                    status="trialing" if cmd.trial_end else "active", coupon=coupon,
                    usage_grace_seconds=grace, metadata=cmd.metadata, created=now,
                    test_clock=clock.id if clock else None,
                ).record_created(now)
            except ValidationError as error:
                raise invalid_input(error) from None
            self.uow.subscriptions.add(sub)
            if clock is not None:
                self.uow.test_clocks.save(clock.attach(sub.id))
            self.uow.commit()
        return sub

    def get(self, account_id: str, subscription_id: str) -> Subscription:
        with self.uow:
            return self.uow.subscriptions.get(account_id, subscription_id)

    def list(self, account_id: str, *, customer_id: str | None, limit: int,
             starting_after: str | None) -> Page[Subscription]:
        with self.uow:
            return self.uow.subscriptions.list(account_id, customer_id=customer_id, limit=limit,
                                               starting_after=starting_after)

    def cancel(self, account_id: str, subscription_id: str, *, at_period_end: bool) -> Subscription:
        return self._change(account_id, subscription_id, lambda s, now: s.cancel(at_period_end=at_period_end, at=now))

    def pause(self, account_id: str, subscription_id: str) -> Subscription:
        return self._change(account_id, subscription_id, lambda s, now: s.pause(now))

    def resume(self, account_id: str, subscription_id: str) -> Subscription:
        return self._change(account_id, subscription_id, lambda s, now: s.resume(now))

    def _now(self, sub: Subscription) -> datetime:
        if sub.test_clock is None:
            return self.clock.now()
        return self.uow.test_clocks.get(sub.account_id, sub.test_clock).frozen_time

    def _change(self, account_id: str, subscription_id: str, change: object) -> Subscription:
        with self.uow:
            current = self.uow.subscriptions.get(account_id, subscription_id)
            now = self._now(current)
            changed: Subscription = change(current, now)  # type: ignore[operator]
            self.uow.subscriptions.save(changed)
            self.uow.commit()
            return changed

