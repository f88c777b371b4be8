"""Bank statement uploads: a presigned URL to put the file in the statements bucket, then (on the
bucket's object-created notification, through SQS) parse, validate and reconcile every entry.

- A file that does not parse (not camt.053/.054 or MT940, hostile XML, too large, an amount that is
  not exact) is kept, marked `rejected` with the parser's reason, and nothing of it is applied.
- A file that parses is reconciled entry by entry through `PaymentService`: a credit is a payment
  (keyed on the entry's bank reference), a reversal takes back the payment it names. Each entry is
  its own commit and applied once, so a notification delivered again, or the same file uploaded
  again, completes what was left and applies nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from invoicing.domain.bank_statement import BankStatement, StatementEntry, StatementRejected
from invoicing.domain.errors import NotFound
from invoicing.domain.payment import Payment, payment_id
from invoicing.domain.payment_matching import IncomingPayment, find_reversed
from invoicing.domain.statement_import import StatementCounts, StatementImport
from invoicing.services.payments import OpenInvoiceBook, PaymentService
from invoicing.services.ports import Clock, Ids, StatementFiles, UnitOfWork

UPLOAD_SECONDS = 900
MAX_STATEMENT_BYTES = 20 * 1024 * 1024
KEY_PREFIX = "statements/"


def statement_key(account_id: str, statement_id: str) -> str:
    return f"{KEY_PREFIX}{account_id}/{statement_id}"


def parse_statement_key(key: str) -> tuple[str, str] | None:
    """(account id, statement id) of an uploaded file's key; None for a key we never handed out."""
    if not key.startswith(KEY_PREFIX):
        return None
    parts = key[len(KEY_PREFIX):].split("/")
    if len(parts) != 2 or not parts[0].startswith("acct_") or not parts[1].startswith("stmt_"):
        return None
    return parts[0], parts[1]


@dataclass(frozen=True)
class Upload:
    statement: StatementImport
    upload_url: str
    expires_in: int


class StatementParser(Protocol):
    """The parsers' entry point (adapters.bank_statements.parse_statement), as the service sees it."""

    def __call__(self, data: bytes, *, max_bytes: int) -> BankStatement: ...


@dataclass(frozen=True)
class StatementService:
    uow: UnitOfWork
    clock: Clock
    ids: Ids
    files: StatementFiles
    payments: PaymentService
    parse: StatementParser

    def create_upload(self, account_id: str, filename: str | None = None) -> Upload:
        """A new upload: its id, and a presigned PUT URL for the file (valid 15 minutes)."""
        statement_id = self.ids.new("stmt")
        statement = StatementImport(id=statement_id, account_id=account_id,
                                    object_key=statement_key(account_id, statement_id), filename=filename,
                                    created=self.clock.now())
        with self.uow:
            self.uow.accounts.get(account_id)
            self.uow.statement_imports.add(statement)
            self.uow.commit()
        return Upload(statement, self.files.upload_url(statement.object_key, expires_in=UPLOAD_SECONDS),
                      UPLOAD_SECONDS)

    def get(self, account_id: str, statement_id: str) -> StatementImport:
        with self.uow:
            return self.uow.statement_imports.get(account_id, statement_id)

    def process_notified(self, account_id: str, statement_id: str) -> StatementImport | None:
        """`process` for an object-created notification; None for a key no upload was handed out for
        (nothing to reconcile it into: skipped, not retried)."""
        try:
            self.get(account_id, statement_id)
        except NotFound:
            return None
        return self.process(account_id, statement_id)

    def process(self, account_id: str, statement_id: str) -> StatementImport:
        """The uploaded file: parsed, then every entry reconciled; rejected with its reason when it
        cannot be read. Done already: returned as it is."""
        statement = self.get(account_id, statement_id)
        if statement.status in ("reconciled", "rejected"):
            return statement
        try:
            data = self.files.read(statement.object_key, max_bytes=MAX_STATEMENT_BYTES)
            parsed = self.parse(data, max_bytes=MAX_STATEMENT_BYTES)
        except StatementRejected as error:
            code, message = error.code, error.message
            return self._save(account_id, statement_id, lambda s: s.rejected(code, message, self.clock.now()))
        if statement.status == "awaiting_upload":
            entries = len(parsed.entries)
            statement = self._save(account_id, statement_id, lambda s: s.started(
                format_=parsed.format, version_of_format=parsed.version, statement_id=parsed.statement_id,
                bank_account=parsed.account, entries=entries, size=len(data), now=self.clock.now()))
        counts = self._reconcile(account_id, statement_id, parsed)
        return self._save(account_id, statement_id, lambda s: s.reconciled(counts, self.clock.now()))

    def _reconcile(self, account_id: str, statement_id: str, parsed: BankStatement) -> StatementCounts:
        book: OpenInvoiceBook | None = None
        applied = unmatched = reversed_ = duplicates = ignored = 0
        for entry in parsed.entries:
            if entry.reversal and entry.booked:
                outcome = self._reverse(account_id, entry)
                reversed_ += outcome == "reversed"
                duplicates += outcome == "duplicate"
                ignored += outcome == "ignored"
                continue
            incoming = IncomingPayment.from_statement_entry(entry)
            if incoming is None:
                ignored += 1
                continue
            if book is None:
                book = self.payments.open_invoice_book(account_id)
            recorded = self.payments.receive(account_id, incoming, source="bank_statement", method="bank_transfer",
                                             statement_id=statement_id, book=book)
            if recorded.duplicate:
                duplicates += 1
            elif recorded.payment.status == "unmatched":
                unmatched += 1
            else:
                applied += 1
        return StatementCounts(entries=len(parsed.entries), applied=applied, unmatched=unmatched,
                               reversed=reversed_, duplicates=duplicates, ignored=ignored)

    def _reverse(self, account_id: str, entry: StatementEntry) -> str:
        """A reversal entry takes back the payment it sends back (`find_reversed`), once."""
        candidates = {p.key: p for amount in {entry.amount, entry.paid_amount}
                      for p in self._of_amount(account_id, entry.currency, amount)}
        if any(entry.idempotency_key in p.reversal_keys for p in candidates.values()):
            return "duplicate"
        original = find_reversed(entry, [p.as_applied() for p in candidates.values()])
        if original is None:
            return "ignored"
        recorded = self.payments.take_back(account_id, payment_id(account_id, original.key),
                                           reversal_key=entry.idempotency_key, amount=None, kind="reversal")
        return "duplicate" if recorded.duplicate else "reversed"

    def _of_amount(self, account_id: str, currency: str, amount: int) -> list[Payment]:
        with self.uow:
            return self.uow.payments.of_amount(account_id, currency, amount)

    def _save(self, account_id: str, statement_id: str,
              change: Callable[[StatementImport], StatementImport]) -> StatementImport:
        with self.uow:
            current = self.uow.statement_imports.get(account_id, statement_id)
            changed = change(current)
            self.uow.statement_imports.save(changed)
            self.uow.commit()
            return changed

