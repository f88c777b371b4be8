"""Adding, removing and changing a subscription's items mid-period, with proration, over the fakes
(tests/integration/adapters/test_subscription_items_on_dynamodb.py runs them again on DynamoDB).
Every figure is exact to the minor unit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from invoicing.domain.catalog import Price, Recurring
from invoicing.domain.errors import InvalidInput, NotFound
from invoicing.domain.invoice import Invoice
from invoicing.domain.subscription import Subscription, SubscriptionItem
from invoicing.services.billing import BillingService
from invoicing.services.invoices import InvoiceService
from invoicing.services.ports import InvoiceFilter
from invoicing.services.subscription_items import SubscriptionItems
from invoicing.services.subscriptions import SubscriptionService
from invoicing.services.usage import NewMeter, UsageService
from tests.unit.domain.builders import customer, seller
from tests.unit.services.fakes import FakeClock, FakeDocuments, FakeIds, FakeRetry, FakeUnitOfWork

NOV_1 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # November's period: 30 days to Dec 1 09:00
HALFWAY = NOV_1 + timedelta(days=15)
JAN_1 = datetime(2027, 1, 1, tzinfo=UTC)  # January's period: 31 days


@dataclass
class Items:
    uow: Any
    clock: FakeClock
    billing: BillingService
    items: SubscriptionItems

    def price(self, price_id: str, unit: int, currency: str = "EUR", **fields: Any) -> Price:
        price = Price(id=price_id, account_id="acct_1", product_id=fields.pop("product_id", "prod_1"),
                      currency=currency, type="recurring",
                      recurring=fields.pop("recurring", Recurring(interval="month")), nickname=price_id,
                      unit_amount_decimal=Decimal(unit), created=NOV_1, **fields)
        with self.uow:
            self.uow.prices.add(price)
            self.uow.commit()
        return price

    def subscribe(self, *items: tuple[Price, int], anchor: datetime = NOV_1, customer_id: str = "cus_eur",
                  currency: str = "EUR", sub_id: str = "sub_1") -> Subscription:
        """A subscription whose first period is billed (boundary 0)."""
        self.clock.current = anchor
        sub = Subscription(id=sub_id, account_id="acct_1", customer_id=customer_id, currency=currency,
                           items=tuple(SubscriptionItem(id=f"si_{p.id}", price=p, quantity=q) for p, q in items),
                           days_until_due=30, billing_cycle_anchor=anchor, created=anchor)
        with self.uow:
            self.uow.subscriptions.add(sub.record_created(anchor))
            self.uow.commit()
        assert self.billing.bill("acct_1", sub_id, 0).outcome == "invoiced"
        return self.sub(sub_id)

    def sub(self, sub_id: str = "sub_1") -> Subscription:
        with self.uow:
            return self.uow.subscriptions.get("acct_1", sub_id)

    def invoice(self, invoice_id: str | None) -> Invoice:
        with self.uow:
            return self.uow.invoices.get("acct_1", invoice_id or "")

    def credit(self, customer_id: str = "cus_eur") -> int:
        with self.uow:
            return self.uow.customers.get("acct_1", customer_id).credit_balance

    def customer_invoices(self, customer_id: str = "cus_eur") -> list[Invoice]:
        with self.uow:
            return self.uow.invoices.list("acct_1", InvoiceFilter(customer_id=customer_id), limit=100,
                                          starting_after=None).data

    def renewal(self, sub_id: str = "sub_1") -> Invoice:
        sub = self.sub(sub_id)
        self.clock.current = sub.boundary(sub.billed_through + 1)
        billed = self.billing.bill("acct_1", sub_id, sub.billed_through + 1)
        return self.invoice(billed.invoice_id)


@pytest.fixture
def uow() -> Any:
    return FakeUnitOfWork()


@pytest.fixture
def env(uow: Any) -> Items:
    return make_env(uow)


def make_env(uow: Any) -> Items:
    clock, ids = FakeClock(NOV_1), FakeIds()
    for write in (lambda: uow.accounts.save(seller("SE")),
                  lambda: uow.customers.add(customer("SE", id="cus_eur")),
                  lambda: uow.customers.add(customer("SE", id="cus_jpy", currency="JPY"))):
        with uow:
            write()
            uow.commit()
    usage = UsageService(uow, clock, ids)
    usage.create_meter("acct_1", NewMeter(event_name="api_calls", display_name="API calls"))
    invoices = InvoiceService(uow, clock, ids, FakeRetry(), FakeDocuments())
    billing = BillingService(uow, clock, ids, usage, invoices)
    return Items(uow, clock, billing, SubscriptionItems(SubscriptionService(uow, clock, ids), billing))


def lines(invoice: Invoice) -> list[tuple[str, int | None, int | None, int | None]]:
    return [(line.description, line.amount, line.discount_amount, line.net_amount) for line in invoice.lines]


def test_stripe_upgrade_halfway_credits_5_and_charges_10_on_the_next_invoice(env: Items) -> None:
    basic = env.price("basic", 1000)
    env.price("pro", 2000)
    env.subscribe((basic, 1))
    env.clock.current = HALFWAY
    changed = env.items.update("acct_1", "sub_1", "si_basic", price_id="pro").subscription
    assert [i.price.id for i in changed.items] == ["pro"]
    [pending] = changed.pending_lines
    assert (pending.charge, pending.credit, pending.amount) == (1000, 500, 500)
    assert (pending.period_start, pending.period_end) == (HALFWAY, NOV_1.replace(month=12))
    renewal = env.renewal()
    assert lines(renewal) == [("pro × 1", 2000, 0, 2000),
                              ("Proration: Remaining time on 1 × pro", 1000, 500, 500)]
    proration = renewal.lines[1]
    assert (proration.period_start, proration.period_end) == (HALFWAY.date(), NOV_1.replace(month=12).date())
    assert proration.discounts[0].description == "Proration: Unused time on 1 × basic"
    assert renewal.totals is not None and renewal.totals.subtotal == 2500


def test_always_invoice_retried_three_times_makes_one_invoice(env: Items) -> None:
    basic = env.price("basic", 1000)
    env.price("pro", 2000)
    env.subscribe((basic, 1))
    env.clock.current = HALFWAY
    results = [env.items.update("acct_1", "sub_1", "si_basic", price_id="pro", behavior="always_invoice",
                                change_id="chg_retried") for _ in range(3)]
    assert [r.replayed for r in results] == [False, True, True]
    assert len({r.invoice_id for r in results}) == 1
    invoice = env.invoice(results[0].invoice_id)
    assert invoice.status == "open" and invoice.number == "INV-000001"  # finalized at once (boundary 0: a draft here)
    assert lines(invoice) == [("Proration: Remaining time on 1 × pro", 1000, 500, 500)]
    assert invoice.totals is not None and invoice.totals.total == 625  # 5.00 + 25 % VAT
    assert invoice.metadata["subscription_change"] == "chg_retried"
    assert len(env.customer_invoices()) == 2  # boundary 0's and the proration's
    sub = env.sub()
    assert sub.pending_lines == () and sub.version == results[0].subscription.version  # applied once
    assert lines(env.renewal()) == [("pro × 1", 2000, 0, 2000)]  # nothing invoiced twice


def test_always_invoice_whose_finalizing_failed_is_finalized_by_the_retry(env: Items, uow: Any) -> None:
    basic = env.price("basic", 1000)
    env.price("pro", 2000)
    env.subscribe((basic, 1))
    env.clock.current = HALFWAY
    finalize = env.billing.finalize
    object.__setattr__(env.billing, "finalize", lambda *a: (_ for _ in ()).throw(RuntimeError("lost")))
    with pytest.raises(RuntimeError):
        env.items.update("acct_1", "sub_1", "si_basic", price_id="pro", behavior="always_invoice", change_id="c1")
    object.__setattr__(env.billing, "finalize", finalize)
    [draft] = [i for i in uow.store.invoices.values() if "subscription_change" in i.metadata]
    assert draft.status == "draft"
    retried = env.items.update("acct_1", "sub_1", "si_basic", price_id="pro", behavior="always_invoice",
                               change_id="c1")
    assert retried.replayed and retried.invoice_id == draft.id and env.invoice(draft.id).status == "open"
    assert len([i for i in uow.store.invoices.values() if "subscription_change" in i.metadata]) == 1


def test_days_basis_in_yen_is_whole_yen(env: Items) -> None:
    small = env.price("small", 1000, "JPY")
    env.price("large", 2000, "JPY")
    env.subscribe((small, 1), anchor=JAN_1, customer_id="cus_jpy", currency="JPY")
    env.clock.current = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)  # 17 of 31 days left by date
    changed = env.items.update("acct_1", "sub_1", "si_small", price_id="large", basis="days").subscription
    [pending] = changed.pending_lines
    assert (pending.charge, pending.credit) == (1097, 548)  # 2000 × 17/31 = 1096.77; 1000 × 17/31 = 548.39
    assert lines(env.renewal())[1] == ("Proration: Remaining time on 1 × large", 1097, 548, 549)


def test_seconds_basis_in_yen(env: Items) -> None:
    small = env.price("small", 1000, "JPY")
    env.price("large", 2000, "JPY")
    env.subscribe((small, 1), anchor=JAN_1, customer_id="cus_jpy", currency="JPY")
    env.clock.current = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)  # 16.5 of 31 days left
    [pending] = env.items.update("acct_1", "sub_1", "si_small", price_id="large").subscription.pending_lines
    assert (pending.charge, pending.credit) == (1065, 532)  # 2000 × 16.5/31 = 1064.52; 1000 × 16.5/31 = 532.26


def test_an_item_added_on_day_9_of_31_is_charged_23_days(env: Items) -> None:
    seats = env.price("seats", 1000)
    env.price("support", 93_000)
    env.subscribe((seats, 1), anchor=JAN_1)
    env.clock.current = datetime(2027, 1, 9, 15, 0, tzinfo=UTC)
    result = env.items.add("acct_1", "sub_1", price_id="support", behavior="always_invoice", basis="days",
                           change_id="add-1")
    assert [i.price.id for i in result.subscription.items] == ["seats", "support"]
    invoice = env.invoice(result.invoice_id)
    assert lines(invoice) == [("Proration: Remaining time on 1 × support", 69_000, 0, 69_000)]  # 930.00 × 23/31
    assert (invoice.lines[0].period_start, invoice.lines[0].period_end) == (datetime(2027, 1, 9).date(),
                                                                           datetime(2027, 1, 31).date())
    assert [line.description for line in env.renewal().lines] == ["seats × 1", "support × 1"]


def test_a_removed_item_credits_the_unused_time_to_the_balance(env: Items) -> None:
    seats, support = env.price("seats", 1000), env.price("support", 3001)
    env.subscribe((seats, 1), (support, 1))
    env.clock.current = HALFWAY
    result = env.items.remove("acct_1", "sub_1", "si_support", behavior="always_invoice")
    assert result.invoice_id is None and [i.id for i in result.subscription.items] == ["si_seats"]
    assert env.credit() == 1501  # 30.01 × 15/30 = 15.005, half up
    assert [line.description for line in env.renewal().lines] == ["seats × 1"]


def test_proration_none_changes_the_item_alone(env: Items) -> None:
    env.subscribe((env.price("seats", 1000), 2))
    env.clock.current = HALFWAY
    changed = env.items.update("acct_1", "sub_1", "si_seats", quantity=5, behavior="none").subscription
    assert changed.pending_lines == () and changed.items[0].quantity == 5 and env.credit() == 0
    assert lines(env.renewal()) == [("seats × 5", 5000, 0, 5000)]


def test_a_downgrade_halfway_credits_the_net_to_the_balance(env: Items) -> None:
    env.subscribe((env.price("seats", 1000), 5))
    env.clock.current = HALFWAY
    result = env.items.update("acct_1", "sub_1", "si_seats", quantity=2, behavior="always_invoice")
    assert result.invoice_id is None and result.subscription.pending_lines == ()
    assert env.credit() == 1500  # -25.00 + 10.00


def test_a_change_of_another_tax_code_keeps_the_credit_apart(env: Items) -> None:
    books = env.price("books", 1000, tax_code="reduced")
    env.price("ebooks", 2000)
    env.subscribe((books, 1))
    env.clock.current = HALFWAY
    changed = env.items.update("acct_1", "sub_1", "si_books", price_id="ebooks").subscription
    [pending] = changed.pending_lines
    assert (pending.charge, pending.credit, pending.tax_code) == (1000, 0, "standard")
    assert env.credit() == 500  # the reduced-rate credit is not netted against a standard-rate charge


def test_refusals(env: Items) -> None:
    env.subscribe((env.price("seats", 1000), 1))
    env.price("yearly", 10_000, recurring=Recurring(interval="year"))
    with pytest.raises(InvalidInput, match="same interval"):
        env.items.add("acct_1", "sub_1", price_id="yearly")
    with pytest.raises(InvalidInput) as last:
        env.items.remove("acct_1", "sub_1", "si_seats")
    assert last.value.code == "last_item"
    with pytest.raises(NotFound):
        env.items.update("acct_1", "sub_1", "si_nope", quantity=2)
    with pytest.raises(InvalidInput, match="meter"):
        env.price("calls", 2, recurring=Recurring(interval="month", usage_type="metered"))
        env.items.add("acct_1", "sub_1", price_id="calls")
    added = env.items.add("acct_1", "sub_1", price_id="calls", meter="api_calls").subscription
    with pytest.raises(InvalidInput) as metered:
        env.items.remove("acct_1", "sub_1", added.items[-1].id)
    assert metered.value.code == "metered_item_not_removable"
