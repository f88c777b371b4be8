"""Invoices, credit notes, number series and the audit trail in the single table.

Items (see docs/dynamodb-access-patterns.md):
- invoice       `ACCOUNT#{acct}` / `INVOICE#{id}`; GSI1 `CUSTOMER#{customer}` / `INVOICE#{id}`;
                GSI2 `ACCOUNT#{acct}#STATUS#{status}` / `{due or 0000-00-00}#{id}`;
                GSI3 `ACCOUNT#{acct}#DUE` / `{due}#{id}` (only with a due date)
- credit note   `ACCOUNT#{acct}` / `CREDITNOTE#{id}`; GSI1 `INVOICE#{invoice}` / `CREDITNOTE#{id}`
- series        `ACCOUNT#{acct}` / `SERIES#{series key}` with `seq`, the last number given
- number claim  `ACCOUNT#{acct}` / `NUMBER#{number}`, written once: a second claim fails
- event         `INVOICE#{invoice}` / `EVENT#{UTC timestamp}#{event id}#{type}`

Gapless numbering: the series counter moves only in the TransactWriteItems that also writes the
finalized invoice (or the credit note), claims the number and records the event. The counter is
read, the document built with the next number, and the transaction conditioned on the counter
still holding what was read; when another finalization won the race the whole attempt is
retried with backoff. A number is therefore never skipped and never given twice.
"""

from __future__ import annotations

import builtins  # `list` is also a method of DynamoInvoices
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from botocore.exceptions import ClientError

from invoicing.adapters.dynamodb.common import (
    Backoff,
    DuplicateNumber,
    NumberingContention,
    cancellation_codes,
    error_code,
    is_cancelled_transaction,
    low_level_client,
    query_all,
    query_page,
)
from invoicing.adapters.dynamodb.keys import (
    AFTER_ANY_ID,
    GSI1,
    GSI2,
    GSI3,
    Item,
    account_pk,
    credit_note_key,
    customer_invoices_pk,
    customer_key,
    due_pk,
    due_sk,
    event_key,
    events_pk,
    get_n,
    get_s,
    invoice_credit_notes_pk,
    invoice_key,
    n,
    number_claim_key,
    s,
    series_key,
    status_pk,
)
from invoicing.adapters.ids import new_id
from invoicing.domain.credit_note import CreditNote
from invoicing.domain.errors import Conflict, InvalidInput, InvoiceNotDraft, NotFound
from invoicing.domain.invoice import Invoice
from invoicing.domain.numbering import Series
from invoicing.services.ports import CreditNoteBuilder, FinalizeBuilder, InvoiceEvent, InvoiceFilter, Page

FINALIZED = ("open", "paid", "uncollectible")  # what counts for a customer's usual total (not draft, not void)
RECENT_TOTALS_MAX_READS = 5  # requests; bounds `recent_totals` for a customer with many drafts or voids
LAST_DUE_SK = f"9999-12-31#{AFTER_ANY_ID}"
FIRST_REAL_DUE_SK = "0000-00-01"  # after every `0000-00-00#...` (no due date)


# --- items -----------------------------------------------------------------------------------

def invoice_item(invoice: Invoice) -> Item:
    item: Item = {
        **invoice_key(invoice.account_id, invoice.id),
        "doc": s(invoice.model_dump_json()),
        "account_id": s(invoice.account_id),
        "customer_id": s(invoice.customer_id),
        "status": s(invoice.status),
        "version": n(invoice.version),
        "GSI1PK": s(customer_invoices_pk(invoice.customer_id)),
        "GSI1SK": s(f"INVOICE#{invoice.id}"),
        "GSI2PK": s(status_pk(invoice.account_id, invoice.status)),
        "GSI2SK": s(due_sk(invoice.due_date, invoice.id)),
    }
    if invoice.totals is not None:
        item["total"] = n(invoice.totals.total)
    if invoice.number is not None:
        item["number"] = s(invoice.number)
    if invoice.due_date is not None:
        item["due_date"] = s(invoice.due_date.isoformat())
        item["GSI3PK"] = s(due_pk(invoice.account_id))
        item["GSI3SK"] = s(due_sk(invoice.due_date, invoice.id))
    return item


def credit_note_item(credit_note: CreditNote) -> Item:
    return {
        **credit_note_key(credit_note.account_id, credit_note.id),
        "doc": s(credit_note.model_dump_json()),
        "account_id": s(credit_note.account_id),
        "invoice_id": s(credit_note.invoice_id),
        "customer_id": s(credit_note.customer_id),
        "number": s(credit_note.number),
        "total": n(credit_note.amount),
        "GSI1PK": s(invoice_credit_notes_pk(credit_note.invoice_id)),
        "GSI1SK": s(f"CREDITNOTE#{credit_note.id}"),
    }


def event_item(event: InvoiceEvent) -> Item:
    event_id = new_id("evt")
    return {
        **event_key(event.invoice_id, event.at, event.type, event_id),
        "event_id": s(event_id),
        "doc": s(event.model_dump_json()),
        "account_id": s(event.account_id),
        "type": s(event.type),
    }


def decode_invoice(item: Item) -> Invoice:
    return Invoice.model_validate_json(item["doc"]["S"])


def decode_credit_note(item: Item) -> CreditNote:
    return CreditNote.model_validate_json(item["doc"]["S"])


def decode_event(item: Item) -> InvoiceEvent:
    return InvoiceEvent.model_validate_json(item["doc"]["S"])


# --- transactions ----------------------------------------------------------------------------

@dataclass
class _Transaction:
    """TransactWriteItems entries, each with a role so a cancellation can say which one failed."""

    table: str
    items: list[dict[str, Any]]
    roles: list[str]

    def put(self, role: str, item: Item, condition: str | None = None, **expression: Any) -> None:
        put: dict[str, Any] = {"TableName": self.table, "Item": item}
        if condition:
            put["ConditionExpression"] = condition
        put.update({k: v for k, v in expression.items() if v})
        self.items.append({"Put": put})
        self.roles.append(role)

    def update(self, role: str, key: Item, update: str, condition: str, **expression: Any) -> None:
        entry: dict[str, Any] = {
            "TableName": self.table, "Key": key, "UpdateExpression": update, "ConditionExpression": condition,
        }
        entry.update({k: v for k, v in expression.items() if v})
        self.items.append({"Update": entry})
        self.roles.append(role)

    def failed(self, error: ClientError) -> dict[str, str]:
        """role -> cancellation code, for the items that did not pass."""
        codes = cancellation_codes(error)
        return {role: code for role, code in zip(self.roles, codes, strict=False) if code not in ("None", "")}


_NOT_THERE = "attribute_not_exists(PK)"


class DynamoInvoices:
    """The `Invoices` port on DynamoDB."""

    def __init__(self, client: Any, table_name: str, *, backoff: Backoff | None = None) -> None:
        self._client = low_level_client(client)
        self._table = table_name
        self._backoff = backoff or Backoff()

    def _transaction(self) -> _Transaction:
        return _Transaction(self._table, [], [])

    def _write(self, transaction: _Transaction) -> None:
        self._client.transact_write_items(TransactItems=transaction.items)

    def _commit(self, transaction: _Transaction, explain: dict[str, Callable[[], Exception]]) -> None:
        """Write the transaction; when it is cancelled, raise the error for the first failed item
        that `explain` names (in its order)."""
        try:
            self._write(transaction)
        except ClientError as error:
            if not is_cancelled_transaction(error):
                raise
            failed = transaction.failed(error)
            for name, make in explain.items():
                if name in failed:
                    raise make() from error
            raise

    # --- invoices ----------------------------------------------------------------------------

    def add(self, invoice: Invoice, event: InvoiceEvent) -> None:
        tx = self._transaction()
        tx.put("invoice", invoice_item(invoice), _NOT_THERE)
        tx.put("event", event_item(event), _NOT_THERE)
        self._commit(tx, {
            "invoice": lambda: Conflict(
                f"Invoice '{invoice.id}' already exists.", param="id", code="resource_already_exists"
            ),
            "event": lambda: _duplicate_event(event),
        })

    def get(self, account_id: str, invoice_id: str) -> Invoice:
        item = self._get_item(invoice_key(account_id, invoice_id))
        if item is None:
            raise NotFound(f"No such invoice: '{invoice_id}'.", param="invoice")
        return decode_invoice(item)

    def save(self, invoice: Invoice, *, expected_version: int, event: InvoiceEvent | None) -> None:
        """Replace the stored invoice if its version is still `expected_version` (else Conflict).

        A draft can only be saved over a draft, and a finalized invoice only over a finalized one:
        finalizing goes through `finalize`, which numbers the invoice in the same transaction.
        """
        status_rule = "#status = :draft" if invoice.status == "draft" else "#status <> :draft"
        condition = f"attribute_exists(PK) AND #version = :expected AND {status_rule}"
        expression = {
            "ExpressionAttributeNames": {"#version": "version", "#status": "status"},
            "ExpressionAttributeValues": {":expected": n(expected_version), ":draft": s("draft")},
        }
        if event is None:
            try:
                self._client.put_item(
                    TableName=self._table, Item=invoice_item(invoice), ConditionExpression=condition, **expression
                )
            except ClientError as error:
                if error_code(error) == "ConditionalCheckFailedException":
                    raise self._save_conflict(invoice, expected_version) from error
                raise
            return
        tx = self._transaction()
        tx.put("invoice", invoice_item(invoice), condition, **expression)
        tx.put("event", event_item(event), _NOT_THERE)
        self._commit(tx, {
            "invoice": lambda: self._save_conflict(invoice, expected_version),
            "event": lambda: _duplicate_event(event),
        })

    def _save_conflict(self, invoice: Invoice, expected_version: int) -> Exception:
        stored = self._get_item(invoice_key(invoice.account_id, invoice.id))
        if stored is None:
            return NotFound(f"No such invoice: '{invoice.id}'.", param="invoice")
        version, status = get_n(stored, "version"), get_s(stored, "status")
        if version != expected_version:
            return Conflict(
                f"Invoice '{invoice.id}' was changed concurrently (version {version}, expected {expected_version}); "
                "reload it and try again.",
                param="invoice",
            )
        if status == "draft":
            return Conflict(
                f"Invoice '{invoice.id}' is a draft: it becomes {invoice.status} only by being finalized.",
                param="status",
                code="invalid_state_transition",
            )
        return InvoiceNotDraft(
            f"Invoice '{invoice.id}' is {status}: a finalized invoice cannot become a draft again.", param="status"
        )

    def list(
        self, account_id: str, flt: InvoiceFilter, *, limit: int, starting_after: str | None
    ) -> Page[Invoice]:
        """Newest first; by status or due date, latest due date first (then newest).

        Index: customer -> GSI1 (status and due dates filtered); status -> GSI2 (due dates as a
        key range); due dates only -> GSI3; nothing -> the account's partition.
        """
        lo, hi = _due_range(flt)
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        request: dict[str, Any] = {"TableName": self._table, "ScanIndexForward": False}
        filtered = False
        start: Item | None = None
        if flt.customer_id:
            request["IndexName"] = GSI1
            key_condition = "GSI1PK = :pk AND begins_with(GSI1SK, :prefix)"
            values.update({":pk": s(customer_invoices_pk(flt.customer_id)), ":prefix": s("INVOICE#")})
            # A customer id from another account must not reveal that account's invoices.
            filters = ["#account_id = :account_id"]
            names["#account_id"] = "account_id"
            values[":account_id"] = s(account_id)
            if flt.status:
                filters.append("#status = :status")
                names["#status"] = "status"
                values[":status"] = s(flt.status)
            if flt.due_date_gte:
                filters.append("#due_date >= :gte")
                values[":gte"] = s(flt.due_date_gte.isoformat())
            if flt.due_date_lte:
                filters.append("#due_date <= :lte")
                values[":lte"] = s(flt.due_date_lte.isoformat())
            if flt.due_date_gte or flt.due_date_lte:
                names["#due_date"] = "due_date"
            request["FilterExpression"] = " AND ".join(filters)
            filtered = True
            if starting_after:
                start = {
                    **invoice_key(account_id, starting_after),
                    "GSI1PK": s(customer_invoices_pk(flt.customer_id)),
                    "GSI1SK": s(f"INVOICE#{starting_after}"),
                }
        elif flt.status or lo is not None:
            index, pk_name, sk_name = (GSI2, "GSI2PK", "GSI2SK") if flt.status else (GSI3, "GSI3PK", "GSI3SK")
            request["IndexName"] = index
            partition = status_pk(account_id, flt.status) if flt.status else due_pk(account_id)
            values[":pk"] = s(partition)
            key_condition = f"{pk_name} = :pk"
            if lo is not None and hi is not None:
                key_condition += f" AND {sk_name} BETWEEN :lo AND :hi"
                values.update({":lo": s(lo), ":hi": s(hi)})
            if starting_after:
                sort_key = due_sk(self._due_date_of(account_id, starting_after), starting_after)
                if lo is not None and sort_key < lo:
                    return Page[Invoice](data=[], has_more=False)  # it was the last of the range
                if hi is None or sort_key <= hi:
                    start = {**invoice_key(account_id, starting_after), pk_name: s(partition), sk_name: s(sort_key)}
                # else: its due date moved past the range since that page: start from the top
        else:
            key_condition = "PK = :pk AND begins_with(SK, :prefix)"
            values.update({":pk": s(account_pk(account_id)), ":prefix": s("INVOICE#")})
            if starting_after:
                start = invoice_key(account_id, starting_after)
        request["KeyConditionExpression"] = key_condition
        request["ExpressionAttributeValues"] = values
        if names:
            request["ExpressionAttributeNames"] = names
        if start is not None:
            request["ExclusiveStartKey"] = start
        return query_page(self._client, request, limit=limit, decode=decode_invoice, filtered=filtered)

    def _due_date_of(self, account_id: str, invoice_id: str) -> date | None:
        item = self._get_item(invoice_key(account_id, invoice_id), projection="due_date")
        if item is None:
            raise NotFound(f"No such invoice: '{invoice_id}' (starting_after).", param="starting_after")
        due = get_s(item, "due_date")
        return date.fromisoformat(due) if due else None

    def recent_totals(self, account_id: str, customer_id: str, *, limit: int = 12) -> builtins.list[int]:
        """Totals of the customer's latest finalized, non-void invoices, newest first."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": GSI1,
            "KeyConditionExpression": "GSI1PK = :pk AND begins_with(GSI1SK, :prefix)",
            "FilterExpression": "#account_id = :account_id AND #status IN (:s0, :s1, :s2) AND attribute_exists(#total)",
            "ProjectionExpression": "#total",
            "ExpressionAttributeNames": {"#account_id": "account_id", "#status": "status", "#total": "total"},
            "ExpressionAttributeValues": {
                ":pk": s(customer_invoices_pk(customer_id)),
                ":prefix": s("INVOICE#"),
                ":account_id": s(account_id),
                **{f":s{i}": s(status) for i, status in enumerate(FINALIZED)},
            },
            "ScanIndexForward": False,
        }
        totals: builtins.list[int] = []
        for _ in range(RECENT_TOTALS_MAX_READS):
            response = self._client.query(**request, Limit=max(limit * 2, 25))
            totals.extend(int(item["total"]["N"]) for item in response.get("Items", []))
            if len(totals) >= limit or "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return totals[:limit]

    # --- numbering ---------------------------------------------------------------------------

    def _current_seq(self, account_id: str, series: Series) -> int:
        item = self._get_item(series_key(account_id, series.key), projection="seq")
        return (get_n(item, "seq") or 0) if item else 0

    def _advance_series(self, tx: _Transaction, account_id: str, series: Series, current: int, number: str) -> None:
        values: dict[str, Any] = {":next": n(current + 1), ":number": s(number)}
        if current:
            condition = "#seq = :current"
            values[":current"] = n(current)
        else:
            condition = _NOT_THERE
        tx.update(
            "counter",
            series_key(account_id, series.key),
            "SET #seq = :next, #last_number = :number",
            condition,
            ExpressionAttributeNames={"#seq": "seq", "#last_number": "last_number"},
            ExpressionAttributeValues=values,
        )

    def _claim_number(self, tx: _Transaction, account_id: str, number: str, series: Series, document_id: str) -> None:
        tx.put(
            "claim",
            {**number_claim_key(account_id, number), "series": s(series.key), "document_id": s(document_id)},
            _NOT_THERE,
        )

    def _numbered(self, account_id: str, series: Series, attempt: Any) -> Any:
        """Reads the series and runs `attempt(current)` -> (transaction, result, explain) until its
        transaction commits. `explain(failed)` turns a decisive failure into the error to raise
        (None when the series moved: read it again and retry, with backoff)."""
        for _ in self._backoff.tries():
            current = self._current_seq(account_id, series)
            tx, result, explain = attempt(current)
            try:
                self._write(tx)
                return result
            except ClientError as error:
                if not is_cancelled_transaction(error):
                    raise
                failed = tx.failed(error)
                decisive = explain(failed)
                if decisive is not None:
                    raise decisive from error
                if "counter" in failed or "TransactionConflict" in failed.values():
                    continue  # another document took the number first: read the counter again
                raise
        raise NumberingContention(
            f"The number series '{series.key}' stayed busy; nothing was numbered. Try again.", param="series"
        )

    def finalize(self, draft: Invoice, series: Series, build: FinalizeBuilder, *, credit_used: int) -> Invoice:
        """One transaction: the next number of `series`, the finalized invoice (the draft's
        version and status must be unchanged), the claim on the number, the `invoice.finalized`
        event and `credit_used` taken off the customer's credit balance. Retries when another
        finalization advanced the series first; never leaves a gap."""
        if draft.status != "draft":
            raise InvoiceNotDraft(f"Invoice {draft.number or draft.id} is {draft.status}, not a draft.", param="status")
        if credit_used < 0:
            raise ValueError("credit_used cannot be negative")
        account_id = draft.account_id

        def attempt(current: int) -> tuple[_Transaction, Invoice, Any]:
            sequence = current + 1
            number = series.format(sequence)
            invoice = build(number, sequence)
            _check_finalized(draft, invoice, number)
            assert invoice.status_transitions.finalized_at is not None
            event = InvoiceEvent(
                type="invoice.finalized",
                invoice_id=invoice.id,
                account_id=account_id,
                at=invoice.status_transitions.finalized_at,
                status=invoice.status,
                data={"number": number, "total": invoice.totals.total if invoice.totals else 0,
                      "amount_due": invoice.amount_due, "currency": invoice.currency},
            )
            tx = self._transaction()
            self._advance_series(tx, account_id, series, current, number)
            tx.put(
                "invoice",
                invoice_item(invoice),
                "#version = :draft_version AND #status = :draft",
                ExpressionAttributeNames={"#version": "version", "#status": "status"},
                ExpressionAttributeValues={":draft_version": n(draft.version), ":draft": s("draft")},
            )
            self._claim_number(tx, account_id, number, series, invoice.id)
            tx.put("event", event_item(event), _NOT_THERE)
            if credit_used:
                tx.update(
                    "credit",
                    customer_key(account_id, draft.customer_id),
                    "SET credit_balance = credit_balance - :used",
                    "credit_balance >= :used",
                    ExpressionAttributeValues={":used": n(credit_used)},
                )

            def explain(failed: dict[str, str]) -> Exception | None:
                if "invoice" in failed:
                    return Conflict(
                        f"Invoice '{draft.id}' was finalized or changed concurrently; reload it and try again.",
                        param="invoice",
                    )
                if "counter" in failed or "TransactionConflict" in failed.values():
                    return None
                if "claim" in failed:
                    return DuplicateNumber(
                        f"Number {number} of series '{series.key}' is already claimed although the series was at "
                        f"{current}: another series formats the same numbers, or the counter was changed by hand."
                    )
                if "credit" in failed:
                    return Conflict(
                        f"The credit balance of customer '{draft.customer_id}' changed while finalizing "
                        f"(less than the {credit_used} to apply); reload and try again.",
                        param="credit_balance",
                    )
                if "event" in failed:
                    return _duplicate_event(event)
                return None

            return tx, invoice, explain

        return self._numbered(account_id, series, attempt)

    # --- credit notes ------------------------------------------------------------------------

    def issue_credit_note(
        self, invoice: Invoice, series: Series, build: CreditNoteBuilder, *, customer_credit: int
    ) -> tuple[CreditNote, Invoice]:
        """One transaction: the credit note with the next number of `series`, the credited invoice
        (its version and status must be unchanged), the claim on the number, the events
        (`credit_note.created`, and `invoice.paid` when the credit settles it) and
        `customer_credit` added to the customer's credit balance."""
        if customer_credit < 0:
            raise ValueError("customer_credit cannot be negative")
        account_id = invoice.account_id

        def attempt(current: int) -> tuple[_Transaction, tuple[CreditNote, Invoice], Any]:
            sequence = current + 1
            number = series.format(sequence)
            credit_note, credited = build(number, sequence)
            _check_credited(invoice, credit_note, credited, number)
            events = [InvoiceEvent(
                type="credit_note.created",
                invoice_id=invoice.id,
                account_id=account_id,
                at=credit_note.created,
                status=credited.status,
                data={"credit_note_id": credit_note.id, "number": number, "amount": credit_note.amount,
                      "type": credit_note.type, "currency": credit_note.currency},
            )]
            if credited.status != invoice.status:
                at = credited.status_transitions.paid_at if credited.status == "paid" else None
                events.append(InvoiceEvent(
                    type=f"invoice.{credited.status}", invoice_id=invoice.id, account_id=account_id,
                    at=at or credit_note.created, status=credited.status,
                    data={"credit_note_id": credit_note.id},
                ))
            tx = self._transaction()
            self._advance_series(tx, account_id, series, current, number)
            tx.put("credit_note", credit_note_item(credit_note), _NOT_THERE)
            tx.put(
                "invoice",
                invoice_item(credited),
                "#version = :version AND #status = :status",
                ExpressionAttributeNames={"#version": "version", "#status": "status"},
                ExpressionAttributeValues={":version": n(invoice.version), ":status": s(invoice.status)},
            )
            self._claim_number(tx, account_id, number, series, credit_note.id)
            for event in events:
                tx.put("event", event_item(event), _NOT_THERE)
            if customer_credit:
                tx.update(
                    "credit",
                    customer_key(account_id, invoice.customer_id),
                    "SET credit_balance = if_not_exists(credit_balance, :zero) + :credit",
                    "attribute_exists(PK)",
                    ExpressionAttributeValues={":credit": n(customer_credit), ":zero": n(0)},
                )

            def explain(failed: dict[str, str]) -> Exception | None:
                if "invoice" in failed:
                    return Conflict(
                        f"Invoice '{invoice.id}' was changed concurrently; reload it and try again.", param="invoice"
                    )
                if "counter" in failed or "TransactionConflict" in failed.values():
                    return None
                if "credit_note" in failed:
                    return Conflict(f"Credit note '{credit_note.id}' already exists.", param="id",
                                    code="resource_already_exists")
                if "claim" in failed:
                    return DuplicateNumber(
                        f"Number {number} of series '{series.key}' is already claimed although the series was at "
                        f"{current}: another series formats the same numbers, or the counter was changed by hand."
                    )
                if "credit" in failed:
                    return NotFound(f"No such customer: '{invoice.customer_id}'.", param="customer")
                if "event" in failed:
                    return _duplicate_event(events[0])
                return None

            return tx, (credit_note, credited), explain

        return self._numbered(account_id, series, attempt)

    def get_credit_note(self, account_id: str, credit_note_id: str) -> CreditNote:
        item = self._get_item(credit_note_key(account_id, credit_note_id))
        if item is None:
            raise NotFound(f"No such credit note: '{credit_note_id}'.", param="credit_note")
        return decode_credit_note(item)

    def list_credit_notes(
        self, account_id: str, invoice_id: str, *, limit: int, starting_after: str | None
    ) -> Page[CreditNote]:
        """The invoice's credit notes, newest first."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": GSI1,
            "KeyConditionExpression": "GSI1PK = :pk AND begins_with(GSI1SK, :prefix)",
            "FilterExpression": "#account_id = :account_id",
            "ExpressionAttributeNames": {"#account_id": "account_id"},
            "ExpressionAttributeValues": {
                ":pk": s(invoice_credit_notes_pk(invoice_id)),
                ":prefix": s("CREDITNOTE#"),
                ":account_id": s(account_id),
            },
            "ScanIndexForward": False,
        }
        if starting_after:
            request["ExclusiveStartKey"] = {
                **credit_note_key(account_id, starting_after),
                "GSI1PK": s(invoice_credit_notes_pk(invoice_id)),
                "GSI1SK": s(f"CREDITNOTE#{starting_after}"),
            }
        return query_page(self._client, request, limit=limit, decode=decode_credit_note, filtered=True)

    # --- audit trail -------------------------------------------------------------------------

    def events(self, invoice_id: str) -> builtins.list[InvoiceEvent]:
        """The invoice's audit trail, oldest first."""
        items = query_all(self._client, {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {":pk": s(events_pk(invoice_id)), ":prefix": s("EVENT#")},
            "ConsistentRead": True,
        })
        return [decode_event(item) for item in items]

    # --- helpers -----------------------------------------------------------------------------

    def _get_item(self, key: Item, projection: str | None = None) -> Item | None:
        request: dict[str, Any] = {"TableName": self._table, "Key": key, "ConsistentRead": True}
        if projection:
            request["ProjectionExpression"] = f"#{projection}"
            request["ExpressionAttributeNames"] = {f"#{projection}": projection}
        item: Item | None = self._client.get_item(**request).get("Item")
        return item


def _due_range(flt: InvoiceFilter) -> tuple[str | None, str | None]:
    """GSI2/GSI3 sort-key bounds for the due-date filter (None, None without one). Invoices
    without a due date (`0000-00-00`) fall outside any range."""
    if flt.due_date_gte and flt.due_date_lte and flt.due_date_gte > flt.due_date_lte:
        raise InvalidInput("due_date[gte] must be on or before due_date[lte].", param="due_date")
    if not (flt.due_date_gte or flt.due_date_lte):
        return None, None
    lo = f"{flt.due_date_gte.isoformat()}#" if flt.due_date_gte else FIRST_REAL_DUE_SK
    hi = f"{flt.due_date_lte.isoformat()}#{AFTER_ANY_ID}" if flt.due_date_lte else LAST_DUE_SK
    return lo, hi


def _duplicate_event(event: InvoiceEvent) -> Conflict:
    return Conflict(
        f"An '{event.type}' event for invoice '{event.invoice_id}' is already recorded at {event.at.isoformat()}.",
        param="event",
    )


def _check_finalized(draft: Invoice, invoice: Invoice, number: str) -> None:
    """The builder must return this draft, finalized with this number (a programming error otherwise)."""
    if (invoice.id, invoice.account_id, invoice.customer_id) != (draft.id, draft.account_id, draft.customer_id):
        raise ValueError("the finalize builder returned a different invoice")
    if invoice.status == "draft" or invoice.number != number:
        raise ValueError(f"the finalize builder must return the invoice finalized with number {number}")
    if invoice.status_transitions.finalized_at is None:
        raise ValueError("the finalized invoice has no status_transitions.finalized_at")


def _check_credited(invoice: Invoice, credit_note: CreditNote, credited: Invoice, number: str) -> None:
    same = (credited.id, credit_note.invoice_id, credit_note.account_id) == (invoice.id, invoice.id, invoice.account_id)
    if not same:
        raise ValueError("the credit note builder returned documents of a different invoice")
    if credit_note.number != number:
        raise ValueError(f"the credit note builder must number the credit note {number}")
