"""Billing subscriptions over the fakes: each boundary once, usage in arrears, batches numbered together.
tests/integration/adapters/test_billing_on_dynamodb.py runs them again on the DynamoDB unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from invoicing.domain.catalog import Price, Recurring
from invoicing.domain.subscription import Subscription, SubscriptionItem
from invoicing.services.billing import BillingRuns, BillingService
from invoicing.services.invoices import InvoiceService
from invoicing.services.usage import IncomingUsage, NewMeter, UsageService
from tests.unit.domain.builders import customer, seller
from tests.unit.services.fakes import FakeClock, FakeDocuments, FakeIds, FakeRetry, FakeUnitOfWork

NOV_1 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
DEC_1 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def price(price_id: str, unit: int | None, usage_type: str = "licensed") -> Price:
    return Price(id=price_id, account_id="acct_1", product_id="prod_1", currency="EUR", type="recurring",
                 recurring=Recurring(interval="month", usage_type=usage_type), nickname=price_id,
                 unit_amount_decimal=None if unit is None else Decimal(unit), created=NOV_1)


@dataclass
class Billing:
    uow: Any
    clock: FakeClock
    service: BillingService
    usage: UsageService
    subscription: Subscription

    def at(self, moment: datetime) -> None:
        self.clock.current = moment

    def invoice(self, invoice_id: str) -> Any:
        with self.uow:
            return self.uow.invoices.get("acct_1", invoice_id)

    def sub(self) -> Subscription:
        with self.uow:
            return self.uow.subscriptions.get("acct_1", self.subscription.id)


@pytest.fixture
def uow() -> Any:
    return FakeUnitOfWork()


@pytest.fixture
def billing(uow: Any) -> Billing:
    clock, ids = FakeClock(NOV_1), FakeIds()
    buyer = customer("SE", id="cus_sub")
    for write in (lambda: uow.accounts.save(seller("SE", iban="SE4550000000058398257466")),
                  lambda: uow.customers.add(buyer)):
        with uow:
            write()
            uow.commit()
    usage = UsageService(uow, clock, ids)
    usage.create_meter("acct_1", NewMeter(event_name="api_calls", display_name="API calls"))
    sub = Subscription(id="sub_1", account_id="acct_1", customer_id=buyer.id, currency="EUR",
                       items=(SubscriptionItem(id="si_seats", price=price("Seats", 1000), quantity=3),
                              SubscriptionItem(id="si_calls", price=price("Calls", 2, "metered"), meter="api_calls")),
                       days_until_due=30, billing_cycle_anchor=NOV_1, usage_grace_seconds=3600, created=NOV_1)
    with uow:
        uow.subscriptions.add(sub.record_created(NOV_1))
        uow.commit()
    invoices = InvoiceService(uow, clock, ids, FakeRetry(), FakeDocuments())
    return Billing(uow, clock, BillingService(uow, clock, ids, usage, invoices), usage, sub)


def test_each_boundary_is_billed_once(billing: Billing) -> None:
    first = billing.service.bill("acct_1", "sub_1", 0)
    assert first.outcome == "invoiced"
    assert [billing.service.bill("acct_1", "sub_1", 0).outcome for _ in range(3)] == ["already_billed"] * 3
    assert billing.service.bill("acct_1", "sub_1", 0).invoice_id == first.invoice_id
    invoice = billing.invoice(first.invoice_id or "")
    assert [(line.description, line.quantity, line.period_start, line.period_end) for line in invoice.lines] == [
        ("Seats × 3", 3, NOV_1.date(), DEC_1.date())]  # the last day the period touches (it ends 09:00)
    assert invoice.totals.total == 3750 and invoice.metadata["subscription"] == "sub_1"  # 3 x 10.00 + 25 % VAT
    assert billing.service.bill("acct_1", "sub_1", 1).outcome == "not_due"
    assert billing.service.bill("acct_1", "sub_1", 2).outcome == "not_due"


def test_a_renewal_bills_seats_ahead_and_usage_behind_once_the_grace_period_passed(billing: Billing) -> None:
    billing.service.bill("acct_1", "sub_1", 0)
    for i, value in enumerate((100, 250)):
        billing.at(NOV_1 + timedelta(days=i + 3))
        billing.usage.record("acct_1", IncomingUsage("api_calls", {"customer": "cus_sub", "value": value}, f"e{i}"))
    billing.at(DEC_1 + timedelta(minutes=30))
    assert billing.service.bill("acct_1", "sub_1", 1).outcome == "not_due"  # usage may still arrive
    billing.usage.record("acct_1", IncomingUsage("api_calls", {"customer": "cus_sub", "value": 50}, "in-grace",
                                                 timestamp=DEC_1 - timedelta(minutes=5)))
    billing.at(DEC_1 + timedelta(hours=1))
    renewal = billing.service.bill("acct_1", "sub_1", 1)
    invoice = billing.invoice(renewal.invoice_id or "")
    assert [(line.description, line.quantity, line.period_start) for line in invoice.lines] == [
        ("Seats × 3", 3, DEC_1.date()), ("Calls × 400", 400, NOV_1.date())]
    assert invoice.totals.subtotal == 3000 + 800
    assert billing.sub().billed_through == 1


def test_a_batch_is_numbered_together_and_a_retry_finalizes_nothing_twice(billing: Billing) -> None:
    invoice_id = billing.service.bill("acct_1", "sub_1", 0).invoice_id or ""
    outcome = billing.service.finalize("acct_1", [invoice_id])
    assert [i.number for i in outcome.finalized] == ["INV-000001"]
    again = billing.service.finalize("acct_1", [invoice_id])
    assert again.finalized == [] and again.failed[invoice_id].code == "invoice_not_draft"


def test_two_workers_billing_the_same_boundary_make_one_invoice(billing: Billing, uow: Any) -> None:
    other = BillingService(FakeUnitOfWork(uow.store), billing.clock, FakeIds(), billing.usage, billing.service.invoices)
    results = []
    uow.before_commit = lambda store: results.append(other.bill("acct_1", "sub_1", 0))
    mine = billing.service.bill("acct_1", "sub_1", 0)
    assert (results[0].outcome, mine.outcome) == ("invoiced", "already_billed")
    assert mine.invoice_id == results[0].invoice_id
    assert len([k for k in uow.store.invoices]) == 1


def change(billing: Billing, what: Any) -> None:
    with billing.uow:
        sub = billing.uow.subscriptions.get("acct_1", "sub_1")
        billing.uow.subscriptions.save(what(sub))
        billing.uow.commit()


def test_cancel_at_period_end_bills_the_last_periods_usage_and_nothing_after(billing: Billing) -> None:
    billing.service.bill("acct_1", "sub_1", 0)
    change(billing, lambda sub: sub.cancel(at_period_end=True, at=NOV_1 + timedelta(days=3)))
    billing.usage.record("acct_1", IncomingUsage("api_calls", {"customer": "cus_sub", "value": 7}, "last"))
    billing.at(DEC_1 + timedelta(hours=2))
    last = billing.service.bill("acct_1", "sub_1", 1)
    assert [line.description for line in billing.invoice(last.invoice_id or "").lines] == ["Calls × 7"]
    assert billing.sub().finished and billing.sub().ended_at == DEC_1
    assert billing.service.bill("acct_1", "sub_1", 2).outcome == "finished"


def test_a_period_with_nothing_to_bill_makes_no_invoice(billing: Billing) -> None:
    billing.service.bill("acct_1", "sub_1", 0)
    change(billing, lambda sub: sub.cancel(at_period_end=True, at=NOV_1 + timedelta(days=3)))
    billing.at(DEC_1 + timedelta(hours=2))
    assert billing.service.bill("acct_1", "sub_1", 1).outcome == "nothing_to_bill"
    assert billing.sub().finished


def test_a_paused_subscription_skips_its_boundaries(billing: Billing) -> None:
    billing.service.bill("acct_1", "sub_1", 0)
    change(billing, lambda sub: sub.pause(NOV_1 + timedelta(days=1)))
    billing.at(DEC_1 + timedelta(hours=2))
    assert billing.service.bill("acct_1", "sub_1", 1).outcome == "skipped_paused"
    change(billing, lambda sub: sub.resume(DEC_1 + timedelta(days=2)))
    billing.at(datetime(2027, 1, 1, 11, 0, tzinfo=UTC))
    assert billing.service.bill("acct_1", "sub_1", 2).outcome == "invoiced"


def test_the_run_lists_due_boundaries_in_pages_onto_the_work_queue(billing: Billing) -> None:
    class Queue:
        def __init__(self) -> None:
            self.sent: list[dict[str, Any]] = []

        def send_many(self, messages: list[dict[str, Any]]) -> None:
            self.sent.extend(messages)

    def run() -> list[dict[str, Any]]:
        pages, work = Queue(), Queue()
        runs = BillingRuns(billing.service, pages, work, shards=16, lookback_hours=2)
        assert runs.start() == 3 * 16  # the lookback window's hours x the index's shards
        for message in pages.sent:  # (pages.sent grows while a page queues the next one)
            runs.page(message)
        return work.sent

    assert run() == [{"account_id": "acct_1", "subscription_id": "sub_1", "boundary": 0}]
    with billing.uow:
        assert billing.uow.subscriptions.watermark() == NOV_1 + timedelta(hours=1)  # up to the hour after now
    billing.service.bill("acct_1", "sub_1", 0)
    assert run() == []  # billed: the subscription's key moved to the next boundary's hour
    with billing.uow:  # the hourly runs of November, which found nothing
        billing.uow.subscriptions.set_watermark(DEC_1 - timedelta(hours=1))
        billing.uow.commit()
    billing.at(DEC_1 + timedelta(minutes=59))
    assert run() == []  # the meters' grace period has not passed
    billing.at(DEC_1 + timedelta(hours=1, minutes=1))
    assert run() == [{"account_id": "acct_1", "subscription_id": "sub_1", "boundary": 1}]


def test_after_a_long_downtime_runs_catch_up_from_where_the_last_one_stopped(billing: Billing) -> None:
    class Queue:
        def __init__(self) -> None:
            self.sent: list[dict[str, Any]] = []

        def send_many(self, messages: list[dict[str, Any]]) -> None:
            self.sent.extend(messages)

    billing.at(NOV_1 - timedelta(hours=1))
    BillingRuns(billing.service, Queue(), Queue(), shards=1, lookback_hours=2).start()  # the last run before
    billing.at(NOV_1 + timedelta(days=3))  # three days down: the boundary at NOV_1 is outside the lookback
    found: list[dict[str, Any]] = []
    for _ in range(3):  # each run reads at most a day of hours here
        pages, work = Queue(), Queue()
        runs = BillingRuns(billing.service, pages, work, shards=1, lookback_hours=2, max_hours=24)
        runs.start()
        for message in pages.sent:
            runs.page(message)
        found += work.sent
    assert found == [{"account_id": "acct_1", "subscription_id": "sub_1", "boundary": 0}]


def _bill_once(uow: Any, buyer: Any, *prices: Price) -> Any:
    clock, ids = FakeClock(NOV_1), FakeIds()
    with uow:
        uow.accounts.save(seller("SE", iban="SE4550000000058398257466"))
        uow.customers.add(buyer)
        uow.commit()
    sub = Subscription(id="sub_taxed", account_id="acct_1", customer_id=buyer.id, currency="EUR",
                       items=tuple(SubscriptionItem(id=f"si_{i}", price=p, quantity=1) for i, p in enumerate(prices)),
                       days_until_due=30, billing_cycle_anchor=NOV_1, created=NOV_1)
    with uow:
        uow.subscriptions.add(sub.record_created(NOV_1))
        uow.commit()
    invoices = InvoiceService(uow, clock, ids, FakeRetry(), FakeDocuments())
    billed = BillingService(uow, clock, ids, UsageService(uow, clock, ids), invoices).bill("acct_1", "sub_taxed", 0)
    with uow:
        return uow.invoices.get("acct_1", billed.invoice_id or "")


def test_subscription_lines_take_the_rate_of_their_prices_tax_code(uow: Any) -> None:
    """A price's tax code (from its product in the catalog) goes onto the subscription's invoice lines,
    which are priced at that code's rate: Swedish 6 % for an e-book club, 25 % for the platform."""
    books = price("E-book club", 9900).model_copy(update={"tax_code": "second_reduced"})
    invoice = _bill_once(uow, customer("SE", id="cus_books"), books, price("Platform", 10000))
    assert [(line.tax_code, line.tax.percent if line.tax else None) for line in invoice.lines] == [
        ("second_reduced", Decimal(6)), ("standard", Decimal(25))]
    assert [(g.percent, g.tax_amount) for g in invoice.totals.tax_groups] == [(Decimal(6), 594), (Decimal(25), 2500)]


def test_subscription_lines_supply_what_their_product_is(uow: Any) -> None:
    """A product's supply type reaches its subscription's lines: a monthly box of goods to a US business is
    an export (G), the platform beside it services outside the scope (O, the account's default)."""
    box = price("Sensor box", 5000).model_copy(update={"supply_type": "goods"})
    buyer = customer("US", id="cus_us", customer_type="business")
    invoice = _bill_once(uow, buyer, box, price("Platform", 10000))
    assert [(line.supply_type, line.tax.category if line.tax else None) for line in invoice.lines] == [
        ("goods", "G"), (None, "O")]
