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
    # docs.stripe.com/billing/subscriptions/prorations: 10 → 20 exactly halfway (15 of November's 30 days)
    # is two lines: -5.00 for the unused time on the old price, +10.00 for the remaining time on the new.
    assert [(p.kind, p.amount, p.price_id) for p in changed.pending_lines] == [("credit", -500, "basic"),
                                                                               ("charge", 1000, "pro")]
    assert {(p.period_start, p.period_end) for p in changed.pending_lines} == {(HALFWAY, NOV_1.replace(month=12))}
    assert env.credit() == 0  # nothing goes to the balance: the credit is a line of the next invoice
    renewal = env.renewal()
    assert lines(renewal) == [("pro × 1", 2000, 0, 2000), ("Unused time on 1 × basic", -500, 0, -500),
                              ("Remaining time on 1 × pro", 1000, 0, 1000)]
    credit, charge = renewal.lines[1:]
    assert (credit.quantity, credit.unit_amount_decimal) == (-1, 500)  # BR-27: the unit price stays positive
    for proration in (credit, charge):
        assert (proration.period_start, proration.period_end) == (HALFWAY.date(), NOV_1.replace(month=12).date())
    assert renewal.totals is not None and (renewal.totals.subtotal, renewal.totals.total) == (2500, 3125)


@pytest.mark.parametrize(("locale", "credit", "charge"), [
    ("sv", "Outnyttjad tid för 1 × basic", "Återstående tid för 1 × pro"),
    ("de-AT", "Nicht genutzte Zeit für 1 × basic", "Verbleibende Zeit für 1 × pro"),
    ("fi", "Unused time on 1 × basic", "Remaining time on 1 × pro"),  # no labels in Finnish: English
])
def test_proration_lines_are_worded_in_the_customers_language(env: Items, locale: str, credit: str,
                                                              charge: str) -> None:
    with env.uow:
        env.uow.customers.add(customer("SE", id="cus_local", locale=locale))
        env.uow.commit()
    basic = env.price("basic", 1000)
    env.price("pro", 2000)
    env.subscribe((basic, 1), customer_id="cus_local")
    env.clock.current = HALFWAY
    changed = env.items.update("acct_1", "sub_1", "si_basic", price_id="pro").subscription
    assert [p.description for p in changed.pending_lines] == [credit, charge]
    renewal = env.renewal()
    assert lines(renewal)[1:] == [(credit, -500, 0, -500), (charge, 1000, 0, 1000)]
    assert [line.proration for line in renewal.lines] == [False, True, True]  # the API's `proration`


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
    assert lines(invoice) == [("Unused time on 1 × basic", -500, 0, -500), ("Remaining time on 1 × pro", 1000, 0, 1000)]
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
    object.__setattr__(env.billing, "finalize", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("lost")))
    with pytest.raises(RuntimeError):
        env.items.update("acct_1", "sub_1", "si_basic", price_id="pro", behavior="always_invoice", change_id="c1")
    object.__setattr__(env.billing, "finalize", finalize)
    [draft] = [i for i in uow.store.invoices.values() if "subscription_change" in i.metadata]
    assert draft.status == "draft"
    retried = env.items.update("acct_1", "sub_1", "si_basic", price_id="pro", behavior="always_invoice",
                               change_id="c1")
    assert retried.replayed and retried.invoice_id == draft.id and env.invoice(draft.id).status == "open"
    assert len([i for i in uow.store.invoices.values() if "subscription_change" in i.metadata]) == 1


def yen_change(env: Items, basis: str) -> list[int]:
    """1,097 yen a month → 1,500 yen a month exactly halfway through January 2027 (31 days: the change at
    Jan 16 12:00), with `basis`; the pending lines' amounts."""
    small = env.price("small", 1097, "JPY")
    env.price("large", 1500, "JPY")
    env.subscribe((small, 1), anchor=JAN_1, customer_id="cus_jpy", currency="JPY")
    env.clock.current = JAN_1 + timedelta(days=15, hours=12)
    changed = env.items.update("acct_1", "sub_1", "si_small", price_id="large", basis=basis).subscription  # type: ignore[arg-type]
    return [p.amount for p in changed.pending_lines]


def test_seconds_basis_in_yen_halfway_rounds_each_line_once_half_up(env: Items) -> None:
    # By seconds: 15.5 days of 31 left = 1,339,200 s / 2,678,400 s = exactly 1/2.
    # Credit: 1,097 × 1/2 = 548.5 yen → 549 (half up, away from zero): -549. Charge: 1,500 × 1/2 = 750.
    assert yen_change(env, "seconds") == [-549, 750]
    assert lines(env.renewal())[1:] == [("Unused time on 1 × small", -549, 0, -549),
                                        ("Remaining time on 1 × large", 750, 0, 750)]


def test_days_basis_in_yen_halfway_counts_whole_days(env: Items) -> None:
    # By days: from the change's date (Jan 16, charged on the new price) to the period's end (Feb 1) is
    # 16 of January's 31 days. Credit: 1,097 × 16/31 = 17,552/31 = 566.19 → -566. Charge: 1,500 × 16/31 =
    # 24,000/31 = 774.19 → 774.
    assert yen_change(env, "days") == [-566, 774]


def test_days_basis_in_yen_is_whole_yen(env: Items) -> None:
    small = env.price("small", 1000, "JPY")
    env.price("large", 2000, "JPY")
    env.subscribe((small, 1), anchor=JAN_1, customer_id="cus_jpy", currency="JPY")
    env.clock.current = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)  # 17 of 31 days left by date
    changed = env.items.update("acct_1", "sub_1", "si_small", price_id="large", basis="days").subscription
    # 1000 × 17/31 = 548.39 → -548; 2000 × 17/31 = 1096.77 → 1097
    assert [p.amount for p in changed.pending_lines] == [-548, 1097]
    assert lines(env.renewal())[1:] == [("Unused time on 1 × small", -548, 0, -548),
                                        ("Remaining time on 1 × large", 1097, 0, 1097)]


def test_seconds_basis_in_yen(env: Items) -> None:
    small = env.price("small", 1000, "JPY")
    env.price("large", 2000, "JPY")
    env.subscribe((small, 1), anchor=JAN_1, customer_id="cus_jpy", currency="JPY")
    env.clock.current = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)  # 16.5 of 31 days left
    changed = env.items.update("acct_1", "sub_1", "si_small", price_id="large").subscription
    # 1000 × 16.5/31 = 532.26 → -532; 2000 × 16.5/31 = 1064.52 → 1065
    assert [p.amount for p in changed.pending_lines] == [-532, 1065]


def test_an_add_on_from_day_9_of_31_at_3000_a_month_by_days(env: Items) -> None:
    # proration_basis days: whole days from the change's date to the period's end, the change's day
    # included (it is charged on the new item): Jan 9 → Feb 1 is 23 days (the 9th to the 31st) of
    # January's 31. 3,000.00 × 23/31 = 300,000 × 23 / 31 = 6,900,000 / 31 = 222,580.645… cents → 222,581
    # (half up): 2,225.81. No credit line: nothing was there before.
    seats = env.price("seats", 1000)
    env.price("addon", 300_000)
    env.subscribe((seats, 1), anchor=JAN_1)
    env.clock.current = datetime(2027, 1, 9, 17, 30, tzinfo=UTC)  # the time of day does not count by days
    changed = env.items.add("acct_1", "sub_1", price_id="addon", basis="days").subscription
    assert [(p.kind, p.amount, p.description) for p in changed.pending_lines] == [
        ("charge", 222_581, "Remaining time on 1 × addon")]
    renewal = env.renewal()
    assert lines(renewal) == [("seats × 1", 1000, 0, 1000), ("addon × 1", 300_000, 0, 300_000),
                              ("Remaining time on 1 × addon", 222_581, 0, 222_581)]
    assert (renewal.lines[2].period_start, renewal.lines[2].period_end) == (datetime(2027, 1, 9, 17, 30).date(),
                                                                           datetime(2027, 1, 31).date())


def test_an_item_added_on_day_9_of_31_is_charged_23_days(env: Items) -> None:
    seats = env.price("seats", 1000)
    env.price("support", 93_000)
    env.subscribe((seats, 1), anchor=JAN_1)
    env.clock.current = datetime(2027, 1, 9, 15, 0, tzinfo=UTC)
    result = env.items.add("acct_1", "sub_1", price_id="support", behavior="always_invoice", basis="days",
                           change_id="add-1")
    assert [i.price.id for i in result.subscription.items] == ["seats", "support"]
    invoice = env.invoice(result.invoice_id)
    assert lines(invoice) == [("Remaining time on 1 × support", 69_000, 0, 69_000)]  # 930.00 × 23/31
    assert (invoice.lines[0].period_start, invoice.lines[0].period_end) == (datetime(2027, 1, 9).date(),
                                                                           datetime(2027, 1, 31).date())
    assert [line.description for line in env.renewal().lines] == ["seats × 1", "support × 1"]


def test_a_removed_item_larger_than_the_next_invoice_credits_the_balance_tax_included(env: Items) -> None:
    seats, support = env.price("seats", 1000), env.price("support", 3001)
    env.subscribe((seats, 1), (support, 1))
    env.clock.current = HALFWAY
    result = env.items.remove("acct_1", "sub_1", "si_support", behavior="always_invoice")
    # -15.01 alone (30.01 × 15/30 = 15.005, half up, away from zero): no invoice can come below zero, so
    # nothing is invoiced now; the credit waits for the next invoice.
    assert result.invoice_id is None and [i.id for i in result.subscription.items] == ["si_seats"]
    assert [(p.kind, p.amount) for p in result.subscription.pending_lines] == [("credit", -1501)]
    assert env.credit() == 0
    # The renewal bills 10.00; with the credit it would come below zero: it bills the seats alone and the
    # credit goes to the balance with its VAT: 15.01 + 25 % = 18.7625 → 18.76 (tax 3.7525 → 3.75).
    assert lines(env.renewal()) == [("seats × 1", 1000, 0, 1000)]
    assert env.credit() == 1876 and env.sub().pending_lines == ()


def test_proration_none_changes_the_item_alone(env: Items) -> None:
    env.subscribe((env.price("seats", 1000), 2))
    env.clock.current = HALFWAY
    changed = env.items.update("acct_1", "sub_1", "si_seats", quantity=5, behavior="none").subscription
    assert changed.pending_lines == () and changed.items[0].quantity == 5 and env.credit() == 0
    assert lines(env.renewal()) == [("seats × 5", 5000, 0, 5000)]


def test_a_downgrade_halfway_waits_for_the_next_invoice_as_its_two_lines(env: Items) -> None:
    env.subscribe((env.price("seats", 1000), 5))
    env.clock.current = HALFWAY
    result = env.items.update("acct_1", "sub_1", "si_seats", quantity=2, behavior="always_invoice")
    # -25.00 + 10.00 comes to less than zero: no invoice now (always_invoice has nothing it can bill).
    assert result.invoice_id is None and env.credit() == 0
    assert [p.amount for p in result.subscription.pending_lines] == [-2500, 1000]
    # The next invoice holds them: 2 seats for December, less 25.00, plus 10.00: 5.00.
    renewal = env.renewal()
    assert lines(renewal) == [("seats × 2", 2000, 0, 2000), ("Unused time on 5 × seats", -2500, 0, -2500),
                              ("Remaining time on 2 × seats", 1000, 0, 1000)]
    assert renewal.totals is not None and renewal.totals.total == 625


def test_a_change_of_another_tax_code_keeps_each_line_at_its_own_rate(env: Items) -> None:
    books = env.price("books", 1000, tax_code="reduced")
    env.price("ebooks", 2000)
    env.subscribe((books, 1))
    env.clock.current = HALFWAY
    changed = env.items.update("acct_1", "sub_1", "si_books", price_id="ebooks").subscription
    assert [(p.amount, p.tax_code) for p in changed.pending_lines] == [(-500, "reduced"), (1000, "standard")]
    assert env.credit() == 0
    renewal = env.renewal()
    assert renewal.totals is not None
    # Swedish VAT: 25 % on 20.00 + 10.00; the reduced 12 % on the -5.00 credit of the reduced-rate item: -0.60.
    assert {(g.percent, g.taxable_amount, g.tax_amount) for g in renewal.totals.tax_groups} == {
        (25, 3000, 750), (12, -500, -60)}


def test_cancel_at_period_end_after_a_downgrade_credits_the_balance(env: Items) -> None:
    env.subscribe((env.price("seats", 1000), 4))
    env.clock.current = HALFWAY
    env.items.update("acct_1", "sub_1", "si_seats", quantity=1)
    env.items.subscriptions.cancel("acct_1", "sub_1", at_period_end=True)
    sub = env.sub()
    env.clock.current = sub.boundary(1)
    billed = env.billing.bill("acct_1", "sub_1", 1)
    # The last boundary bills no seats; -20.00 + 5.00 cannot be an invoice: -15.00, + 25 % VAT, to the balance.
    assert billed.outcome == "nothing_to_bill" and env.credit() == 1875
    assert env.sub().status == "canceled" and env.sub().pending_lines == ()


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
