"""Use cases for a subscription's items: add one, remove one, change one's price or quantity, each
from now, with proration (domain/subscription.py, domain/proration.py).

`proration_behavior`:
- `create_prorations` (the default): the proration's two lines — the credit for the unused time on the
  old item, the charge for the remaining time on the new one — wait for the next invoice (pending lines);
- `none`: the change alone;
- `always_invoice`: the subscription's pending prorations, this change's included, are invoiced now, on
  one invoice, drafted in the same commit as the change and finalized right after it; when they come to
  zero or less (a downgrade's credit), no invoice can hold them and they wait for the next one.

Idempotent on the change: a change carries an id (the API derives it from the request's
Idempotency-Key, a queue consumer from its message), remembered on the subscription in the commit of
the change. A change whose id the subscription already has is not applied again: its invoice, if the
first attempt committed but did not get to finalize it, is finalized now, and nothing else is written.
So a retried request, or a redelivered message, never changes the subscription twice and never
invoices twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import ValidationError

from invoicing.documents.line_texts import line_texts
from invoicing.domain.discount_rules import rule_discounts
from invoicing.domain.errors import InvalidInput, invalid_input
from invoicing.domain.line_texts import LineTexts
from invoicing.domain.proration import ProrationBasis, ProrationBehavior
from invoicing.domain.subscription import ItemChange, LineDiscounts, Subscription, SubscriptionItem
from invoicing.services.billing import BillingService
from invoicing.services.subscriptions import SubscriptionService

# A change of the subscription at a moment, its lines discounted by the rules and worded in the customer's language.
Change = Callable[[Subscription, datetime, LineDiscounts, LineTexts], tuple[Subscription, ItemChange]]


@dataclass(frozen=True)
class ItemChangeResult:
    subscription: Subscription
    invoice_id: str | None  # the always_invoice invoice, None when nothing was invoiced
    replayed: bool = False  # the change had been applied already (a retry)


@dataclass(frozen=True)
class SubscriptionItems:
    subscriptions: SubscriptionService
    billing: BillingService

    def add(self, account_id: str, subscription_id: str, *, price_id: str, quantity: int = 1,
            meter: str | None = None, behavior: ProrationBehavior = "create_prorations",
            basis: ProrationBasis = "seconds", change_id: str | None = None) -> ItemChangeResult:
        uow = self.subscriptions.uow

        def change(sub: Subscription, now: datetime, rules: LineDiscounts,
                   texts: LineTexts) -> tuple[Subscription, ItemChange]:
            price = uow.prices.get(account_id, price_id)
            if not price.active:
                raise InvalidInput(f"Price '{price.id}' is inactive.", param="price")
            grace = uow.meters.by_event_name(account_id, meter).grace_period_seconds if meter else 0
            try:
                item = SubscriptionItem.model_validate({"id": self.subscriptions.ids.new("si"), "price": price,
                                                        "quantity": quantity, "meter": meter})
            except ValidationError as error:
                raise invalid_input(error) from None
            changed, effect = sub.add_item(item, at=now, behavior=behavior, basis=basis, rules=rules, texts=texts)
            if grace > changed.usage_grace_seconds:
                changed = changed.model_copy(update={"usage_grace_seconds": grace})
            return changed, effect

        return self._apply(account_id, subscription_id, change, change_id)

    def update(self, account_id: str, subscription_id: str, item_id: str, *, price_id: str | None = None,
               quantity: int | None = None, behavior: ProrationBehavior = "create_prorations",
               basis: ProrationBasis = "seconds", change_id: str | None = None) -> ItemChangeResult:
        uow = self.subscriptions.uow

        def change(sub: Subscription, now: datetime, rules: LineDiscounts,
                   texts: LineTexts) -> tuple[Subscription, ItemChange]:
            price = uow.prices.get(account_id, price_id) if price_id else None
            if price is not None and not price.active and price.id != sub.item(item_id).price.id:
                raise InvalidInput(f"Price '{price.id}' is inactive.", param="price")
            return sub.update_item(item_id, price=price, quantity=quantity, at=now, behavior=behavior, basis=basis,
                                   rules=rules, texts=texts)

        return self._apply(account_id, subscription_id, change, change_id)

    def remove(self, account_id: str, subscription_id: str, item_id: str, *,
               behavior: ProrationBehavior = "create_prorations", basis: ProrationBasis = "seconds",
               change_id: str | None = None) -> ItemChangeResult:
        return self._apply(account_id, subscription_id,
                           lambda sub, now, rules, texts: sub.remove_item(item_id, at=now, behavior=behavior,
                                                                          basis=basis, rules=rules, texts=texts),
                           change_id)

    def _apply(self, account_id: str, subscription_id: str, change: Change,
               change_id: str | None) -> ItemChangeResult:
        """One commit: the subscription's next state (and the change's id) and the always_invoice draft;
        then the draft is finalized, at the subscription's time (its test clock's, in a sandbox). A retry
        of an applied change finalizes its invoice if it is still a draft, and writes nothing else."""
        uow, ids = self.subscriptions.uow, self.subscriptions.ids
        with uow:
            current = uow.subscriptions.get(account_id, subscription_id)
            applied = current.applied_change(change_id) if change_id else None
            # A subscription on a test clock changes, and is invoiced, at the clock's time.
            now = uow.test_clocks.get(account_id, current.test_clock).frozen_time if current.test_clock \
                else self.subscriptions.clock.now()
            if applied is None:
                customer = uow.customers.get(account_id, current.customer_id)
                active = uow.discount_rules.active(account_id)
                changed, effect = change(current, now,
                                         lambda line: rule_discounts(active, line, customer, current.currency),
                                         line_texts(customer.locale))
                change_id = change_id or ids.new("chg")
                invoice = self.billing.proration_invoice(changed, effect.invoice_now, now, change_id)
                if invoice is None and effect.invoice_now:
                    # They come to zero or less (a downgrade): no invoice can hold them; the next one will.
                    changed = changed.model_copy(update={"pending_lines": effect.invoice_now})
                changed = changed.with_applied_change(change_id, invoice.id if invoice else None)
                uow.subscriptions.save(changed)
                uow.commit()
                result = ItemChangeResult(changed, invoice.id if invoice else None)
            else:
                result = ItemChangeResult(current, applied.invoice_id, replayed=True)
        if result.invoice_id is not None:
            # Numbered now (a retry: if the first attempt did not get to it); a draft with a blocking
            # validation issue stays a draft, in GET /invoices?status=draft, as a billing run's would.
            self.billing.finalize(account_id, [result.invoice_id])
        return result
