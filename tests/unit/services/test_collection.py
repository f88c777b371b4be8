"""Collecting through the real ports' services, over fakes: dunning's reminders and payment-status
notices go out through the sending capability (once per (invoice, step) and per (invoice, event), in
the customer's language, with the seller's branding, the PDF and the page's link); charge retries go
to the payment provider with the customer's saved method, or fail with a code that says why; the pay
button asks the provider for a checkout back to the hosted page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from invoicing.domain.dunning import PlannedStep
from invoicing.domain.errors import Conflict, InvalidInput
from invoicing.domain.invoice import Invoice
from invoicing.services.collection import EmailNotifier, ProviderCharger, ProviderCheckout, StepsRunElsewhere
from invoicing.services.commands import Changes
from invoicing.services.ports import Charge, CheckoutLink, Refund
from tests.unit.services.conftest import Services
from tests.unit.services.test_sending import BASE, Sending, parsed


class FakeProvider:
    """A `PaymentProvider` that answers `status` and keeps what it was asked."""

    def __init__(self, status: str = "succeeded", *, name: str = "stripe", failure_code: str | None = None,
                 refuse: Exception | None = None) -> None:
        self.name, self.status, self.failure_code, self.refuse = name, status, failure_code, refuse
        self.charges: list[dict[str, Any]] = []
        self.checkouts: list[dict[str, Any]] = []

    def charge(self, invoice: Invoice, *, payment_method: str, customer_reference: str | None,
               idempotency_key: str) -> Charge:
        if self.refuse is not None:
            raise self.refuse
        self.charges.append({"invoice": invoice.id, "payment_method": payment_method,
                             "customer_reference": customer_reference, "idempotency_key": idempotency_key})
        return Charge(reference="pi_1", status=self.status, amount=invoice.amount_remaining,
                      currency=invoice.currency, failure_code=self.failure_code)

    def checkout_link(self, invoice: Invoice, *, success_url: str, cancel_url: str,
                      idempotency_key: str) -> CheckoutLink:
        self.checkouts.append({"success_url": success_url, "cancel_url": cancel_url, "key": idempotency_key})
        return CheckoutLink(url=f"https://checkout.example/{idempotency_key}", reference="cs_1")

    def refund(self, reference: str, *, amount: int | None, idempotency_key: str) -> Refund:
        raise NotImplementedError


@pytest.fixture
def t(services: Services) -> Sending:
    return Sending(services)


def reminder(day: int) -> PlannedStep:
    return PlannedStep(id=f"reminder{day:+d}", kind="reminder", day=day, at=datetime(2025, 4, 1, 8, tzinfo=UTC))


def texts(raw: bytes) -> tuple[str, str, str]:
    message = parsed(raw)
    text = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_content()
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    return str(message["Subject"]), text, html


def invoice(t: Sending, invoice_id: str) -> Invoice:
    return t.s.invoices.get(t.s.seller.id, invoice_id).invoice


# --- reminders and notices by email ----------------------------------------------------------------

def test_each_reminder_is_one_mail_per_invoice_and_step_with_the_pdf_and_the_pages_link(t: Sending) -> None:
    invoice_id = t.issued()
    notifier = EmailNotifier(t.sending)
    issued = invoice(t, invoice_id)
    assert notifier.send_reminder(issued, reminder(-3), "en") is True
    assert notifier.send_reminder(issued, reminder(-3), "en") is True  # a retried step: found sent
    assert notifier.send_reminder(issued, reminder(7), "en") is True
    assert len(t.mailer.sent) == 2
    before, after = t.mailer.sent
    assert before.to == t.s.buyer.email and before.tags["kind"] == "reminder"
    subject, text, html = texts(before.raw)
    assert subject == f"Reminder: invoice {issued.number} from Nordic Widgets AB is due on {issued.due_date:%b} " \
                      f"{issued.due_date.day}, {issued.due_date.year}"
    assert f"{BASE}/i/" in text and issued.hosted_secret in text and issued.hosted_secret in html
    assert "If you have paid already" in text
    files = {p.get_filename(): p.get_payload(decode=True) for p in parsed(before.raw).walk() if p.get_filename()}
    assert files == {f"{issued.number}.pdf": b"%PDF-1.7 invoice"}
    assert texts(after.raw)[0] == f"Overdue: invoice {issued.number} from Nordic Widgets AB"
    sent = [d for d in t.correspondence(invoice_id).deliveries if d.kind == "reminder"]
    assert [(d.id, d.status) for d in sent] == [(f"dunning:{invoice_id}:reminder-3", "sent"),
                                                (f"dunning:{invoice_id}:reminder+7", "sent")]
    assert t.last_event("invoice.sent", invoice_id).data["object"]["delivery"]["kind"] == "reminder"


@pytest.mark.parametrize(("language", "day", "subject", "phrase"), [
    ("sv", 0, "Faktura {number} från Nordic Widgets AB förfaller i dag", "Vänliga hälsningar"),
    ("de", 14, "Überfällig: Rechnung {number} von Nordic Widgets AB", "Mit freundlichen Grüßen"),
    ("fi", -1, "Reminder: invoice {number}", "Kind regards"),  # a language without templates reads English
])
def test_reminders_are_in_the_customers_language(t: Sending, language: str, day: int, subject: str,
                                                 phrase: str) -> None:
    invoice_id = t.issued()
    issued = invoice(t, invoice_id)
    EmailNotifier(t.sending).send_reminder(issued, reminder(day), language)
    got, text, html = texts(t.mailer.sent[0].raw)
    assert got.startswith(subject.format(number=issued.number))
    assert phrase in text
    assert f'lang="{language if language != "fi" else "en"}"' in html


def test_the_sellers_branding_colours_the_reminder(t: Sending) -> None:
    t.s.accounts.update(t.s.seller.id, Changes({"branding": {"primary_color": "#7A1F5C"}}))
    invoice_id = t.issued()
    EmailNotifier(t.sending).send_reminder(invoice(t, invoice_id), reminder(0), "en")
    assert "background:#7A1F5C" in texts(t.mailer.sent[0].raw)[2]


def test_a_customer_without_email_gets_no_reminder_and_the_step_says_so(t: Sending) -> None:
    invoice_id = t.issued()
    t.s.customers.update(t.s.seller.id, t.s.buyer.id, Changes({"email": None}))
    assert EmailNotifier(t.sending).send_reminder(invoice(t, invoice_id), reminder(0), "en") is False
    assert t.mailer.sent == []


def test_a_reminder_whose_mail_failed_is_claimed_until_its_lease_expires(t: Sending) -> None:
    """The at-least-once boundary: SES refused (or the worker died) after the claim; the retried step
    neither mails at once nor loses the reminder: after the lease it is mailed, once."""
    invoice_id = t.issued()
    notifier, issued = EmailNotifier(t.sending), invoice(t, invoice_id)
    t.mailer.fail = RuntimeError("SES is down")
    with pytest.raises(RuntimeError):
        notifier.send_reminder(issued, reminder(0), "en")
    with pytest.raises(Conflict):
        notifier.send_reminder(issued, reminder(0), "en")
    t.s.clock.advance(minutes=16)
    assert notifier.send_reminder(issued, reminder(0), "en") is True
    assert notifier.send_reminder(issued, reminder(0), "en") is True
    assert len(t.mailer.sent) == 1


@pytest.mark.parametrize(("change", "amount", "subject", "body"), [
    ("invoice.paid", 12_500, "Payment received: invoice {number} from Nordic Widgets AB is paid",
     "We received your payment of €125.00."),
    ("invoice.partially_paid", 5_000, "Payment received for invoice {number} from Nordic Widgets AB",
     "We received €50.00 for invoice {number}. €156.25 remains to pay"),
    ("payment.failed", 12_500, "Payment failed: invoice {number} from Nordic Widgets AB",
     "A payment of €125.00 for invoice {number} did not go through."),
    ("invoice.reopened", 2_500, "Invoice {number} from Nordic Widgets AB is open again",
     "€25.00 of your payment for invoice {number} was refunded or returned."),
])
def test_each_payment_status_change_is_one_notice_per_event(t: Sending, change: str, amount: int, subject: str,
                                                            body: str) -> None:
    invoice_id = t.issued()
    issued = invoice(t, invoice_id)
    notifier = EmailNotifier(t.sending)
    for _ in range(3):  # the event delivered three times
        assert notifier.send_payment_status(issued, change, "en", event_id="evt_1", amount=amount) is True
    notifier.send_payment_status(issued, change, "en", event_id="evt_2", amount=amount)
    assert len(t.mailer.sent) == 2
    got, text, _ = texts(t.mailer.sent[0].raw)
    assert got == subject.format(number=issued.number)
    assert body.format(number=issued.number) in " ".join(text.split())
    assert t.mailer.sent[0].tags["kind"] == "payment_notice"
    assert not [p for p in parsed(t.mailer.sent[0].raw).walk() if p.get_filename()]  # a notice: the link only


def test_a_notice_needs_what_it_tells(t: Sending) -> None:
    invoice_id = t.issued()
    with pytest.raises(InvalidInput):
        t.sending.deliver(t.s.seller.id, invoice_id, "evt_x", "payment_notice")


# --- charge retries through the payment provider -----------------------------------------------------

def charge_automatically(t: Sending, **customer: Any) -> Invoice:
    t.s.customers.update(t.s.seller.id, t.s.buyer.id, Changes({"default_payment_method": "pm_card_1", **customer}))
    return invoice(t, t.issued(collection_method="charge_automatically"))


def test_without_a_provider_a_charge_fails_saying_so(t: Sending) -> None:
    result = ProviderCharger(t.s.uow, None).charge(charge_automatically(t), "dunning:in_1:charge+1")
    assert (result.status, result.failure_code) == ("failed", "no_payment_provider")


def test_a_charge_goes_to_the_provider_with_the_saved_method_and_the_steps_key(t: Sending) -> None:
    provider = FakeProvider()
    issued = charge_automatically(t, stripe_customer_id="cus_TUa8mG2cQpV1bC")
    result = ProviderCharger(t.s.uow, provider).charge(issued, "dunning:in_1:charge+1")
    assert (result.status, result.payment_id) == ("succeeded", "pi_1")
    assert provider.charges == [{"invoice": issued.id, "payment_method": "pm_card_1", "customer_reference":
                                 "cus_TUa8mG2cQpV1bC", "idempotency_key": "dunning:in_1:charge+1"}]


@pytest.mark.parametrize(("status", "code", "expected"), [
    ("processing", None, ("pending", None)),
    ("requires_action", None, ("failed", "authentication_required")),
    ("failed", "card_declined", ("failed", "card_declined")),
    ("failed", None, ("failed", "charge_failed")),
])
def test_what_the_provider_answers_becomes_the_steps_result(t: Sending, status: str, code: str | None,
                                                            expected: tuple[str, str | None]) -> None:
    result = ProviderCharger(t.s.uow, FakeProvider(status, failure_code=code)).charge(charge_automatically(t), "k")
    assert (result.status, result.failure_code) == expected


def test_without_a_saved_method_nothing_is_charged(t: Sending) -> None:
    provider = FakeProvider()
    issued = charge_automatically(t)
    t.s.customers.update(t.s.seller.id, t.s.buyer.id, Changes({"default_payment_method": None}))
    result = ProviderCharger(t.s.uow, provider).charge(issued, "k")
    assert (result.status, result.failure_code, provider.charges) == ("failed", "payment_method_missing", [])


def test_a_charge_the_provider_refuses_is_a_failure_with_its_code(t: Sending) -> None:
    refused = InvalidInput("Stripe charges KWD in multiples of 10 minor units", param="amount",
                           code="amount_not_chargeable")
    result = ProviderCharger(t.s.uow, FakeProvider(refuse=refused)).charge(charge_automatically(t), "k")
    assert (result.status, result.failure_code) == ("failed", "amount_not_chargeable")


# --- the pay button ------------------------------------------------------------------------------

def test_the_pay_button_asks_for_one_checkout_per_state_of_the_invoice_back_to_its_page(t: Sending) -> None:
    provider = FakeProvider()
    invoice_id = t.issued()
    pages = type(t.pages)(t.s.uow, t.s.clock, t.pages.ids, t.documents, ProviderCheckout(provider, BASE), BASE,
                          online_payments=True)
    token = t.token(invoice_id)
    first = pages.checkout(token)
    assert pages.checkout(token) == first  # followed twice: the same session
    page = f"{BASE}/i/{token}"
    issued = invoice(t, invoice_id)
    assert provider.checkouts[0] == {"success_url": page, "cancel_url": page,
                                     "key": f"checkout:{invoice_id}:v{issued.version}:15625"}


def test_a_service_that_does_not_perform_steps_refuses_them(t: Sending) -> None:
    with pytest.raises(RuntimeError):
        StepsRunElsewhere().charge(invoice(t, t.issued()), "k")


def _no_pay_button_and_no_checkout(t: Sending, invoice_id: str, code: str) -> Any:
    """The page's button is off, and following its address anyway is refused with `code`, asking the
    provider nothing. The pages, for more."""
    provider = FakeProvider()
    pages = type(t.pages)(t.s.uow, t.s.clock, t.pages.ids, t.documents, ProviderCheckout(provider, BASE), BASE,
                          online_payments=True)
    token = t.token(invoice_id)
    assert pages.page(token).can_pay_online is False
    with pytest.raises(InvalidInput) as refused:
        pages.checkout(token)
    assert refused.value.code == code and provider.checkouts == []
    return pages


def test_an_invoice_collected_by_direct_debit_offers_no_pay_button_and_refuses_a_checkout(t: Sending) -> None:
    """The seller debits it under the customer's mandate: nothing to pay on the page."""
    t.s.accounts.update(t.s.seller.id, Changes(fields={"sepa_creditor_id": "SE41ZZZ5567037485"}))
    t.s.customers.update(t.s.seller.id, t.s.buyer.id, Changes(fields={
        "currency": "EUR", "direct_debit": {"mandate_reference": "MNDT-1", "iban": "DE89370400440532013000"}}))
    _no_pay_button_and_no_checkout(t, t.issued(currency="EUR"), "collected_by_direct_debit")


def test_an_invoice_charged_to_a_card_offers_no_pay_button_and_refuses_a_checkout(t: Sending) -> None:
    """A charge_automatically invoice of a customer with a payment card: the card is charged, nothing to
    pay on the page; a send_invoice invoice of the same customer is paid there as before."""
    t.s.customers.update(t.s.seller.id, t.s.buyer.id, Changes(fields={
        "default_payment_method": "pm_card_4242", "payment_card": {"last_digits": "4242", "kind": "credit"}}))
    pages = _no_pay_button_and_no_checkout(t, t.issued(collection_method="charge_automatically"), "collected_by_card")
    assert pages.page(t.token(t.issued())).can_pay_online is True
