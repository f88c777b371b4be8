"""Dunning over the fakes: the record follows the invoice's events, hourly runs perform each step
once, in order, through downtime, redelivery and crashes; late fees become an extra invoice; the
customer hears of payment-status changes once per event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from invoicing.domain.dunning import DunningPolicy, LateFees
from invoicing.domain.invoice import Invoice
from invoicing.services.commands import NewInvoice, NewLine
from invoicing.services.dunning import DunningRuns, DunningService
from invoicing.services.invoices import InvoiceService
from invoicing.services.payments import PaymentService
from invoicing.services.subscriptions import SubscriptionService
from tests.unit.domain.builders import customer, seller
from tests.unit.services.fakes import (
    FakeClock,
    FakeDocuments,
    FakeIds,
    FakeNotifier,
    FakePaymentProvider,
    FakeRetry,
    FakeUnitOfWork,
)

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
POLICY = DunningPolicy(reminders=(-3, 0, 7, 14), charge_retries=(1, 3, 5, 7), final_action="leave_open")
ENTERPRISE = DunningPolicy(segment="enterprise", reminders=(14, 28))


class Queue:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    def send_many(self, messages: list[dict[str, Any]]) -> None:
        self.messages.extend(messages)


@dataclass
class Dunning:
    uow: FakeUnitOfWork
    clock: FakeClock
    notifier: FakeNotifier
    payments: FakePaymentProvider
    invoices: InvoiceService
    service: DunningService
    published: int = 0

    def invoice(self, days_until_due: int, *, customer_id: str = "cus_9f3k", amount: int = 100_000,
                collection_method: str = "send_invoice") -> Invoice:
        view = self.invoices.create_draft("acct_1", NewInvoice(
            customer_id=customer_id, days_until_due=days_until_due, collection_method=collection_method,  # type: ignore[arg-type]
            lines=(NewLine(description="Consulting", quantity=Decimal(1), unit_amount_decimal=Decimal(amount)),)))
        return self.invoices.finalize("acct_1", view.invoice.id).invoice

    def deliver_events(self) -> list[str]:
        """The bus: each committed event not yet delivered reaches the dunning subscriber."""
        outcomes = []
        while self.published < len(self.uow.store.outbox):
            event = self.uow.store.outbox[self.published]
            self.published += 1
            outcomes.append(self.service.handle_event(event.model_dump(mode="json")))
        return outcomes

    def record(self, invoice_id: str) -> Any:
        return self.uow.store.dunning[("acct_1", invoice_id)]


def make(policies: list[DunningPolicy], declines: int = 0, **customer_fields: Any) -> Dunning:
    uow, clock, ids = FakeUnitOfWork(), FakeClock(START), FakeIds()
    with uow:
        uow.accounts.save(seller("SE", dunning_policies=policies))
        uow.commit()
    with uow:
        uow.customers.add(customer("SE", **customer_fields))
        uow.commit()
    notifier, payments = FakeNotifier(), FakePaymentProvider(declines=declines)
    invoices = InvoiceService(uow, clock, ids, FakeRetry(), FakeDocuments())
    service = DunningService(uow, clock, ids, notifier, payments, invoices, SubscriptionService(uow, clock, ids))
    return Dunning(uow, clock, notifier, payments, invoices, service)


@pytest.fixture
def dunning() -> Dunning:
    return make([POLICY, ENTERPRISE])


def run_once(d: Dunning, *, redeliver: bool = False, fail_once: bool = False, lookback_hours: int = 48) -> None:
    """One scheduled run and its messages, each handled (twice, with `redeliver`). With `fail_once`
    the email service fails once and that message is handled again, as SQS redelivers it."""
    queue = Queue()
    runs = DunningRuns(d.service, queue, shards=1, lookback_hours=lookback_hours)
    runs.start()
    if fail_once:
        d.notifier.fail_next = 1
    while queue.messages:
        message = queue.messages.pop(0)
        for _ in range(2 if redeliver else 1):
            try:
                runs.handle(message)
            except ConnectionError:
                queue.messages.append(message)


def catch_up(d: Dunning, at: datetime, *, redeliver: bool = False) -> None:
    """The scheduler comes back at `at` after a long stop: each run reads a week of hours on from the
    watermark, until it has caught up (the hourly schedule would run them an hour apart)."""
    d.clock.current = at
    for _ in range(10):  # 10 weeks of hours
        run_once(d, redeliver=redeliver)


# --- the record follows the invoice --------------------------------------------------------------

def test_finalizing_schedules_the_segments_policy_once(dunning: Dunning) -> None:
    invoice = dunning.invoice(30)
    assert dunning.deliver_events() == ["ignored", "scheduled"]  # invoice.created, invoice.finalized
    record = dunning.record(invoice.id)
    assert [s.id for s in record.steps] == ["reminder-3", "reminder+0", "reminder+7", "reminder+14"]
    assert dunning.service.schedule("acct_1", invoice.id) == record  # a redelivered event finds it


def test_a_customer_of_a_segment_follows_its_policy() -> None:
    d = make([POLICY, ENTERPRISE], segments=["enterprise"])
    invoice = d.invoice(30)
    d.deliver_events()
    assert [s.id for s in d.record(invoice.id).steps] == ["reminder+14", "reminder+28"]


def test_without_a_policy_nothing_is_scheduled() -> None:
    d = make([ENTERPRISE])
    invoice = d.invoice(30)
    assert d.deliver_events() == ["ignored", "no_dunning"]
    assert ("acct_1", invoice.id) not in d.uow.store.dunning


def test_payment_stops_the_record_and_the_customer_is_told_once(dunning: Dunning) -> None:
    invoice = dunning.invoice(30)
    dunning.deliver_events()
    PaymentService(dunning.uow, dunning.clock, FakeIds(), FakeRetry()).pay_invoice("acct_1", invoice.id)
    paid_event = next(e for e in reversed(dunning.uow.store.outbox) if e.type == "invoice.paid").model_dump(mode="json")
    handled = dunning.deliver_events()  # the payment's own events (payment.received, ...) are not dunning's
    assert [h for h in handled if h != "ignored"] == ["stopped,notified"]
    assert dunning.record(invoice.id).status == "stopped" and dunning.record(invoice.id).stopped_reason == "paid"
    assert dunning.service.handle_event(paid_event) == "not_stopped,already_notified"  # redelivered
    assert dunning.notifier.notices == [(invoice.id, "invoice.paid", "en")]
    dunning.clock.current = START + timedelta(days=60)
    run_once(dunning)
    assert dunning.notifier.reminders == []


def test_a_worker_does_not_chase_a_settled_invoice_whose_event_is_late(dunning: Dunning) -> None:
    invoice = dunning.invoice(30)
    dunning.deliver_events()
    dunning.invoices.void("acct_1", invoice.id)  # its event not delivered yet
    dunning.clock.current = datetime(2026, 3, 28, 9, tzinfo=UTC)  # the first reminder is due
    run_once(dunning)
    assert dunning.notifier.reminders == []
    assert dunning.record(invoice.id).stopped_reason == "void"


# --- runs ----------------------------------------------------------------------------------------

def test_runs_send_each_reminder_at_its_moment(dunning: Dunning) -> None:
    invoice = dunning.invoice(30)  # due 2026-03-31
    dunning.deliver_events()
    sent_at: dict[str, datetime] = {}
    for hour in range(60 * 24):
        dunning.clock.current = START + timedelta(hours=hour)
        before = len(dunning.notifier.reminders)
        run_once(dunning)
        for _, step_id, _ in dunning.notifier.reminders[before:]:
            sent_at[step_id] = dunning.clock.current
    assert sent_at == {"reminder-3": datetime(2026, 3, 28, 8, tzinfo=UTC),  # the policy's hour_utc
                       "reminder+0": datetime(2026, 3, 31, 8, tzinfo=UTC),
                       "reminder+7": datetime(2026, 4, 7, 8, tzinfo=UTC),
                       "reminder+14": datetime(2026, 4, 14, 8, tzinfo=UTC)}
    record = dunning.record(invoice.id)
    assert record.status == "completed" and [d.outcome for d in record.done] == ["sent"] * 4


def test_charge_retries_use_one_idempotency_key_per_step_and_stop_when_charged() -> None:
    d = make([POLICY], declines=2, default_payment_method="pm_card_1")
    invoice = d.invoice(30, collection_method="charge_automatically")
    d.deliver_events()
    run_once(d)  # the scheduler ran on 1 March, and then not until 3 April: it catches up from its watermark
    catch_up(d, datetime(2026, 4, 3, 9, tzinfo=UTC), redeliver=True)  # -3, 0, +1 and +3 are due
    record = d.record(invoice.id)
    assert [(x.step_id, x.outcome) for x in record.done] == [
        ("reminder-3", "sent"), ("reminder+0", "sent"), ("charge+1", "charge_failed"), ("charge+3", "charge_failed")]
    assert record.done[2].detail == "card_declined"
    d.clock.current = datetime(2026, 4, 5, 9, tzinfo=UTC)
    run_once(d)
    assert d.record(invoice.id).done[-1].outcome == "charged"
    assert d.payments.calls == [f"dunning:{invoice.id}:charge+1", f"dunning:{invoice.id}:charge+3",
                                f"dunning:{invoice.id}:charge+5"]


def test_a_step_that_fails_is_claimed_once_and_performed_again_on_redelivery(dunning: Dunning) -> None:
    invoice = dunning.invoice(30)
    dunning.deliver_events()
    dunning.clock.current = datetime(2026, 3, 28, 9, tzinfo=UTC)
    dunning.notifier.fail_next = 1
    with pytest.raises(ConnectionError):
        dunning.service.perform_due("acct_1", invoice.id)
    assert dunning.record(invoice.id).in_progress == "reminder-3"
    assert dunning.uow.store.dunning_steps[("acct_1", invoice.id, "reminder-3")] is None  # claimed, no outcome
    assert [r.step_id for r in dunning.service.perform_due("acct_1", invoice.id)] == ["reminder-3"]
    assert dunning.service.perform_due("acct_1", invoice.id) == []
    assert dunning.notifier.reminders == [(invoice.id, "reminder-3", "en")]
    assert dunning.uow.store.dunning_steps[("acct_1", invoice.id, "reminder-3")] == "sent"


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(down_from=st.integers(min_value=1, max_value=57 * 24), redelivered=st.sets(st.integers(0, 60 * 24 - 1)),
       crashes=st.sets(st.integers(0, 60 * 24 - 1), max_size=20), due_in=st.lists(st.integers(1, 40), min_size=1,
                                                                                  max_size=4))
def test_sixty_days_with_three_days_down_each_reminder_once_none_skipped_in_order(
        down_from: int, redelivered: set[int], crashes: set[int], due_in: list[int]) -> None:
    """Hourly runs for 60 days; the scheduler is stopped for 72 hours from `down_from` (longer than
    the runs' lookback, here 2 hours to keep the test fast: the watermark catches up); the messages
    of some runs are delivered twice; in some runs the email service fails once (the message is
    then redelivered, as SQS does). Every planned reminder is sent exactly once, in plan order."""
    d = make([POLICY])
    invoices = [d.invoice(days) for days in due_in]
    d.deliver_events()
    for hour in range(60 * 24):  # hour 0 runs: the scheduler has run since it was deployed
        if down_from <= hour < down_from + 72:
            continue
        d.clock.current = START + timedelta(hours=hour)
        run_once(d, redeliver=hour in redelivered, fail_once=hour in crashes, lookback_hours=2)
    for invoice in invoices:
        planned = [s.id for s in d.record(invoice.id).steps if s.at <= START + timedelta(days=60)]
        sent = [step for inv, step, _ in d.notifier.reminders if inv == invoice.id]
        assert planned and sent == planned


# --- late fees ------------------------------------------------------------------------------------

def test_late_fees_are_an_extra_invoice_with_statutory_interest_and_compensation() -> None:
    d = make([DunningPolicy(reminders=(7,), late_fees=LateFees(after_days=30))])
    invoice = d.invoice(30, amount=100_000)  # EUR 1,000.00 excl. 25 % VAT: 125,000 due 2026-03-31
    d.deliver_events()
    run_once(d)
    catch_up(d, datetime(2026, 4, 30, 9, tzinfo=UTC), redeliver=True)
    record = d.record(invoice.id)
    assert [(x.step_id, x.outcome) for x in record.done] == [("reminder+7", "sent"), ("late_fees+30", "invoiced")]
    fees = d.uow.store.invoices[("acct_1", record.late_fee_invoice)]
    assert fees.status == "open" and fees.metadata == {"late_fees_for": invoice.id, "dunning_step": "late_fees+30"}
    # Statutory interest: the ECB rate of 2026-H1 (2.15 %) + 8 points on the 125,000 due, 30 days late:
    # 125,000 x 10.15 % x 30 / 365 = 1,042.81 -> 1,043; and the EUR 40 compensation.
    assert [line.net_amount for line in fees.lines] == [1043, 4000]
    assert fees.amount_due == 5043  # not subject to VAT
    late = [i for i in d.uow.store.invoices.values() if "late_fees_for" in i.metadata]
    assert len(late) == 1  # performed once, though the message came twice
    assert d.deliver_events()[-1] == "no_dunning"  # no late fees on late fees


def test_late_fee_interest_uses_the_policys_rate_over_the_days_late() -> None:
    d = make([DunningPolicy(late_fees=LateFees(after_days=30, annual_rate_percent=Decimal("10.15"),
                                                compensation=False))])
    invoice = d.invoice(30, amount=80_000)  # 100,000 including VAT
    d.deliver_events()
    run_once(d)
    catch_up(d, datetime(2026, 4, 30, 9, tzinfo=UTC))
    fees = d.uow.store.invoices[("acct_1", d.record(invoice.id).late_fee_invoice)]
    # 100000 x 0.1015 x 30 / 365 = 834.2465... -> 834
    assert [line.net_amount for line in fees.lines] == [834]
    assert "10.15 % a year on 100000 minor units for 30 days" in fees.lines[0].description


# --- final actions --------------------------------------------------------------------------------

def test_the_final_action_marks_the_invoice_uncollectible() -> None:
    d = make([DunningPolicy(reminders=(7,), final_action="mark_uncollectible", final_after_days=30)])
    invoice = d.invoice(30)
    d.deliver_events()
    run_once(d)
    catch_up(d, datetime(2026, 5, 1, 9, tzinfo=UTC))
    assert d.uow.store.invoices[("acct_1", invoice.id)].status == "uncollectible"
    assert d.record(invoice.id).done[-1].outcome == "marked_uncollectible"
    assert d.record(invoice.id).status == "completed"
    assert "not_stopped" in d.deliver_events()[-1]  # its event finds the record completed


@pytest.mark.parametrize("canceled_by_hand", [False, True])
def test_the_final_action_cancels_the_invoices_subscription(canceled_by_hand: bool) -> None:
    from invoicing.domain.catalog import Price, Recurring
    from invoicing.domain.subscription import Subscription, SubscriptionItem

    d = make([DunningPolicy(final_action="cancel_subscription", final_after_days=10)])
    seats = Price(id="price_1", account_id="acct_1", product_id="prod_1", currency="EUR", type="recurring",
                  recurring=Recurring(interval="month"), unit_amount_decimal=Decimal(1000), created=START)
    sub = Subscription(id="sub_1", account_id="acct_1", customer_id="cus_9f3k", currency="EUR",
                       items=(SubscriptionItem(id="si_1", price=seats, quantity=1),), billing_cycle_anchor=START,
                       days_until_due=30, created=START)
    with d.uow:
        d.uow.subscriptions.add(sub.record_created(START))
        d.uow.commit()
    view = d.invoices.create_draft("acct_1", NewInvoice(
        customer_id="cus_9f3k", days_until_due=30, metadata={"subscription": "sub_1"},
        lines=(NewLine(description="Seats", quantity=Decimal(1), unit_amount_decimal=Decimal(1000)),)))
    invoice = d.invoices.finalize("acct_1", view.invoice.id).invoice
    d.deliver_events()
    run_once(d)
    if canceled_by_hand:  # (or by this step before a crash, then performed again): no error, the step completes
        SubscriptionService(d.uow, d.clock, FakeIds()).cancel("acct_1", "sub_1", at_period_end=False)
    catch_up(d, datetime(2026, 4, 10, 9, tzinfo=UTC))
    assert d.uow.store.subscriptions[("acct_1", "sub_1")].status == "canceled"
    assert [(x.step_id, x.outcome, x.detail) for x in d.record(invoice.id).done] == [
        ("final+10", "subscription_canceled", "sub_1")]


# --- on a test clock's time ------------------------------------------------------------------------

def test_a_test_clock_customer_s_steps_are_indexed_per_clock_and_performed_at_its_moments() -> None:
    from dataclasses import replace

    from invoicing.services.ports import FrozenAt

    d = make([POLICY], test_clock="clock_1")
    invoice = d.invoice(10)  # due 2026-03-11
    d.deliver_events()
    assert d.record(invoice.id).test_clock == "clock_1"
    catch_up(d, START + timedelta(days=30))  # the real-time runs never see the clock's record
    assert d.notifier.reminders == [] and d.record(invoice.id).done == ()
    assert d.service.clock_next("acct_1", "clock_1") == datetime(2026, 3, 8, 8, tzinfo=UTC)
    assert d.service.clock_next("acct_1", "clock_2") is None

    performed = []
    for _ in range(10):  # what an advance does: stand at the next moment, perform what is due, twice
        moment = d.service.clock_next("acct_1", "clock_1")
        if moment is None:
            break
        at = replace(d.service, clock=FrozenAt(moment))
        performed += [(r.step_id, moment.date().isoformat()) for r in at.perform_clock_due("acct_1", "clock_1")]
        assert at.perform_clock_due("acct_1", "clock_1") == []  # run again at the same moment: nothing twice
    assert performed == [("reminder-3", "2026-03-08"), ("reminder+0", "2026-03-11"), ("reminder+7", "2026-03-18"),
                         ("reminder+14", "2026-03-25")]
    assert [r[1] for r in d.notifier.reminders] == ["reminder-3", "reminder+0", "reminder+7", "reminder+14"]
    assert [s.performed_at for s in d.record(invoice.id).done] == [s.at for s in d.record(invoice.id).steps]
