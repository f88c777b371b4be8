"""Stand-ins for the two collection ports until their real adapters are wired: the SES notifier
(the sending capability) and the payment provider (the payments capability). Both are explicit
about doing nothing real, so a deployment never believes a customer was emailed or charged.

- `LoggedNotifier` logs that a reminder or notice *would* be sent: ids, the step and the language
  only (no names, addresses or amounts: no personal data in logs).
- `NoPaymentProvider` charges nothing: every charge fails with `no_payment_provider`, so the
  dunning history shows the retry as failed, and later steps go on.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from invoicing.domain.dunning import PlannedStep
from invoicing.domain.invoice import Invoice
from invoicing.services.ports import ChargeResult

logger = Logger(service="invoicing-dunning")


class LoggedNotifier:
    def send_reminder(self, invoice: Invoice, step: PlannedStep, language: str) -> None:
        logger.info("reminder (no email adapter wired: logged only)",
                    extra={"invoice_id": invoice.id, "step": step.id, "language": language})

    def send_payment_status(self, invoice: Invoice, change: str, language: str) -> None:
        logger.info("payment-status notice (no email adapter wired: logged only)",
                    extra={"invoice_id": invoice.id, "change": change, "language": language})


class NoPaymentProvider:
    def charge(self, invoice: Invoice, idempotency_key: str) -> ChargeResult:
        logger.info("charge not attempted: no payment provider wired", extra={"invoice_id": invoice.id})
        return ChargeResult("failed", failure_code="no_payment_provider")
