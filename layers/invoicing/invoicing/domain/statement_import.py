"""An uploaded bank statement file and what its reconciliation did with it.

`awaiting_upload` (an upload URL was handed out) -> `processing` (the file arrived and parsed: its
entries are being reconciled) -> `reconciled` (every entry was taken into account), or `rejected`
(the file did not parse, or is hostile or too large: nothing of it was applied, and `error` says why).
Processing the same upload again (a redelivered notification) applies nothing twice: each entry is a
payment keyed on its bank reference.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from invoicing.domain.bank_statement import StatementFormat
from invoicing.domain.errors import Conflict
from invoicing.domain.events import DomainEvent, new_event

StatementStatus = Literal["awaiting_upload", "processing", "reconciled", "rejected"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StatementError(_Model):
    code: str
    message: str


class StatementCounts(_Model):
    entries: int = 0  # every entry of the file (a batch entry counts once per transaction)
    applied: int = 0  # payments matched to invoices without a person
    unmatched: int = 0  # payments waiting for a person (GET /payments?status=unmatched)
    reversed: int = 0  # reversal entries that reopened what their payment had paid
    duplicates: int = 0  # entries already recorded (the same file, or a camt.054 before the camt.053)
    ignored: int = 0  # outgoing money, pending entries, reversals whose payment is not known here


class StatementImport(_Model):
    id: str
    object: Literal["bank_statement"] = "bank_statement"
    account_id: str
    status: StatementStatus = "awaiting_upload"
    object_key: str
    filename: str | None = None
    format: StatementFormat | None = None
    version_of_format: str | None = None
    statement_id: str | None = None  # the bank's id of the statement in the file
    bank_account: str | None = None
    size: int | None = None
    counts: StatementCounts = Field(default_factory=StatementCounts)
    error: StatementError | None = None
    created: datetime
    completed_at: datetime | None = None
    version: int = 0
    events: tuple[DomainEvent, ...] = Field(default=(), exclude=True)

    def started(self, *, format_: StatementFormat, version_of_format: str | None, statement_id: str,
                bank_account: str | None, entries: int, size: int, now: datetime) -> StatementImport:
        """The file parsed: `statement.received`, and its entries are reconciled next."""
        if self.status == "rejected" or self.status == "reconciled":
            raise Conflict(f"Statement {self.id} is {self.status} already.", param="statement")
        changed = self.model_copy(update={
            "status": "processing", "format": format_, "version_of_format": version_of_format,
            "statement_id": statement_id, "bank_account": bank_account, "size": size,
            "counts": StatementCounts(entries=entries), "version": self.version + 1,
        })
        return changed._recorded("statement.received", now)

    def reconciled(self, counts: StatementCounts, now: datetime) -> StatementImport:
        changed = self.model_copy(update={"status": "reconciled", "counts": counts, "completed_at": now,
                                          "version": self.version + 1})
        return changed._recorded("statement.reconciled", now)

    def rejected(self, code: str, message: str, now: datetime, *, size: int | None = None) -> StatementImport:
        """The file cannot be read: nothing of it is applied, and the reason is kept."""
        changed = self.model_copy(update={"status": "rejected", "error": StatementError(code=code, message=message),
                                          "size": size, "completed_at": now, "version": self.version + 1})
        return changed._recorded("statement.rejected", now)

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "object": "bank_statement", "status": self.status, "format": self.format,
                "statement_id": self.statement_id, "counts": self.counts.model_dump(),
                "error": self.error.model_dump() if self.error else None}

    def _recorded(self, type_: str, at: datetime) -> StatementImport:
        event = new_event(type_, account_id=self.account_id, aggregate="bank_statement", aggregate_id=self.id,
                          version=self.version, at=at, obj=self.summary())
        return self.model_copy(update={"events": (*self.events, event)})
