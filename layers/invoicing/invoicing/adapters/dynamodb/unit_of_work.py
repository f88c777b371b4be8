"""The unit of work on DynamoDB: repositories register writes, `commit()` makes them one atomic write.

A commit of one item is a single conditional PutItem or UpdateItem (atomic by itself, and half the
cost of a transaction); a commit of several items is one TransactWriteItems (at most 100 items:
the batch use cases size their batches to fit). Every aggregate write carries the domain events of
that change inside the item (`events`, with `outbox_count` saying how many are new), so state and
events are always written together; the table's stream feeds the relay that publishes them.

Conflicts are mapped to typed errors here, in one place: each registered write says which error a
failed condition on it means. A series counter that moved raises `SeriesMoved`, which the services
answer by running the whole use case again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Self

from botocore.exceptions import ClientError

from invoicing.adapters.dynamodb.common import cancellation_codes, error_code, low_level_client
from invoicing.domain.errors import Conflict, SeriesMoved

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.accounts import DynamoAccounts
    from invoicing.adapters.dynamodb.billing_runs import DynamoBillingRuns, DynamoReviews, DynamoTestClocks
    from invoicing.adapters.dynamodb.catalog import DynamoCoupons, DynamoPrices, DynamoProducts
    from invoicing.adapters.dynamodb.correspondence import DynamoCorrespondence
    from invoicing.adapters.dynamodb.credit_notes import DynamoCreditNotes
    from invoicing.adapters.dynamodb.customers import DynamoCustomers
    from invoicing.adapters.dynamodb.discount_rules import DynamoDiscountRules
    from invoicing.adapters.dynamodb.dunning import DynamoDunning
    from invoicing.adapters.dynamodb.files import DynamoFiles
    from invoicing.adapters.dynamodb.invoices import DynamoInvoices
    from invoicing.adapters.dynamodb.payments import DynamoPayments, DynamoStatementImports
    from invoicing.adapters.dynamodb.reviews import DynamoReviewItems
    from invoicing.adapters.dynamodb.series import DynamoNumberSeries
    from invoicing.adapters.dynamodb.subscriptions import DynamoSubscriptions
    from invoicing.adapters.dynamodb.usage import DynamoMeters, DynamoUsageEvents

MAX_TRANSACTION_ITEMS = 100
REPOSITORIES = ("accounts", "customers", "invoices", "credit_notes", "series", "meters", "usage_events",
                "subscriptions", "products", "prices", "coupons", "billing_runs", "reviews", "test_clocks",
                "payments", "statement_imports", "files", "dunning",
                "review_items", "correspondence", "discount_rules")
Explain = Callable[[], Exception]


@dataclass(frozen=True)
class Write:
    """One registered write: a TransactWriteItems entry (`{"Put": ...}` or `{"Update": ...}`) and
    the error a failed condition on it means."""

    entry: dict[str, Any]
    explain: Explain

    @property
    def key(self) -> tuple[str, str]:
        body = next(iter(self.entry.values()))
        key = body.get("Key") or body["Item"]
        return key["PK"]["S"], key["SK"]["S"]


class DynamoUnitOfWork:
    """`with uow: ...; uow.commit()`. Leaving the block without committing discards the writes."""

    def __init__(self, client: Any, table_name: str) -> None:
        self.client = low_level_client(client)
        self.table = table_name
        self._writes: list[Write] = []

    # Each repository is built (and its module imported) on first use: a function that uses a few
    # aggregates (the usage worker, the billing run) does not import the others' adapters and models
    # at init (bench/README.md, "Cold starts").
    @cached_property
    def accounts(self) -> DynamoAccounts:
        from invoicing.adapters.dynamodb.accounts import DynamoAccounts
        return DynamoAccounts(self)

    @cached_property
    def customers(self) -> DynamoCustomers:
        from invoicing.adapters.dynamodb.customers import DynamoCustomers
        return DynamoCustomers(self)

    @cached_property
    def invoices(self) -> DynamoInvoices:
        from invoicing.adapters.dynamodb.invoices import DynamoInvoices
        return DynamoInvoices(self)

    @cached_property
    def credit_notes(self) -> DynamoCreditNotes:
        from invoicing.adapters.dynamodb.credit_notes import DynamoCreditNotes
        return DynamoCreditNotes(self)

    @cached_property
    def series(self) -> DynamoNumberSeries:
        from invoicing.adapters.dynamodb.series import DynamoNumberSeries
        return DynamoNumberSeries(self)

    @cached_property
    def meters(self) -> DynamoMeters:
        from invoicing.adapters.dynamodb.usage import DynamoMeters
        return DynamoMeters(self)

    @cached_property
    def usage_events(self) -> DynamoUsageEvents:
        from invoicing.adapters.dynamodb.usage import DynamoUsageEvents
        return DynamoUsageEvents(self)

    @cached_property
    def subscriptions(self) -> DynamoSubscriptions:
        from invoicing.adapters.dynamodb.subscriptions import DynamoSubscriptions
        return DynamoSubscriptions(self)

    @cached_property
    def products(self) -> DynamoProducts:
        from invoicing.adapters.dynamodb.catalog import DynamoProducts
        return DynamoProducts(self)

    @cached_property
    def prices(self) -> DynamoPrices:
        from invoicing.adapters.dynamodb.catalog import DynamoPrices
        return DynamoPrices(self)

    @cached_property
    def coupons(self) -> DynamoCoupons:
        from invoicing.adapters.dynamodb.catalog import DynamoCoupons
        return DynamoCoupons(self)

    @cached_property
    def discount_rules(self) -> DynamoDiscountRules:
        from invoicing.adapters.dynamodb.discount_rules import DynamoDiscountRules
        return DynamoDiscountRules(self)

    @cached_property
    def billing_runs(self) -> DynamoBillingRuns:
        from invoicing.adapters.dynamodb.billing_runs import DynamoBillingRuns
        return DynamoBillingRuns(self)

    @cached_property
    def reviews(self) -> DynamoReviews:
        from invoicing.adapters.dynamodb.billing_runs import DynamoReviews
        return DynamoReviews(self)

    @cached_property
    def test_clocks(self) -> DynamoTestClocks:
        from invoicing.adapters.dynamodb.billing_runs import DynamoTestClocks
        return DynamoTestClocks(self)

    @cached_property
    def payments(self) -> DynamoPayments:
        from invoicing.adapters.dynamodb.payments import DynamoPayments
        return DynamoPayments(self)

    @cached_property
    def statement_imports(self) -> DynamoStatementImports:
        from invoicing.adapters.dynamodb.payments import DynamoStatementImports
        return DynamoStatementImports(self)

    @cached_property
    def files(self) -> DynamoFiles:
        from invoicing.adapters.dynamodb.files import DynamoFiles
        return DynamoFiles(self)

    @cached_property
    def dunning(self) -> DynamoDunning:
        from invoicing.adapters.dynamodb.dunning import DynamoDunning
        return DynamoDunning(self)

    @cached_property
    def review_items(self) -> DynamoReviewItems:
        from invoicing.adapters.dynamodb.reviews import DynamoReviewItems
        return DynamoReviewItems(self)

    @cached_property
    def correspondence(self) -> DynamoCorrespondence:
        from invoicing.adapters.dynamodb.correspondence import DynamoCorrespondence
        return DynamoCorrespondence(self)

    def __enter__(self) -> Self:
        self._reset()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._reset()

    def _reset(self) -> None:
        self._writes = []
        for name in REPOSITORIES:
            if name in self.__dict__:  # built: cached_property keeps it in the instance's dict
                self.__dict__[name].forget()

    # --- what repositories call ----------------------------------------------------------------

    def put(self, item: dict[str, Any], explain: Explain, condition: str | None = None, **expression: Any) -> None:
        entry: dict[str, Any] = {"TableName": self.table, "Item": item}
        if condition:
            entry["ConditionExpression"] = condition
        entry.update({k: v for k, v in expression.items() if v})
        self._register(Write({"Put": entry}, explain))

    def update(self, key: dict[str, Any], update: str, explain: Explain, condition: str | None = None,
               **expression: Any) -> None:
        entry: dict[str, Any] = {"TableName": self.table, "Key": key, "UpdateExpression": update}
        if condition:
            entry["ConditionExpression"] = condition
        entry.update({k: v for k, v in expression.items() if v})
        self._register(Write({"Update": entry}, explain))

    def delete(self, key: dict[str, Any], explain: Explain, condition: str | None = None, **expression: Any) -> None:
        entry: dict[str, Any] = {"TableName": self.table, "Key": key}
        if condition:
            entry["ConditionExpression"] = condition
        entry.update({k: v for k, v in expression.items() if v})
        self._register(Write({"Delete": entry}, explain))

    def _register(self, write: Write) -> None:
        if any(w.key == write.key for w in self._writes):
            raise ValueError(f"one commit writes each item once; {write.key} is already registered")
        self._writes.append(write)

    @property
    def pending(self) -> int:
        """How many items the commit will write (batch use cases stop below MAX_TRANSACTION_ITEMS)."""
        return len(self._writes)

    # --- commit ----------------------------------------------------------------------------------

    def commit(self) -> None:
        writes, self._writes = self._writes, []
        if not writes:
            return
        if len(writes) > MAX_TRANSACTION_ITEMS:
            raise ValueError(f"a commit writes at most {MAX_TRANSACTION_ITEMS} items, got {len(writes)}")
        if len(writes) == 1:
            self._write_one(writes[0])
            return
        try:
            self.client.transact_write_items(TransactItems=[w.entry for w in writes])
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            raise _explain(writes, cancellation_codes(error)) from error

    def _write_one(self, write: Write) -> None:
        (kind, body), = write.entry.items()
        try:
            if kind == "Put":
                self.client.put_item(**body)
            elif kind == "Delete":
                self.client.delete_item(**body)
            else:
                self.client.update_item(**body)
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise write.explain() from error
            raise


def _explain(writes: list[Write], codes: list[str]) -> Exception:
    """The error for a cancelled transaction: a moved series first (retry everything), then the first
    failed condition in registration order, then a concurrent transaction on an item."""
    failed = [(w, code) for w, code in zip(writes, codes, strict=False) if code not in ("None", "")]
    for write, _ in failed:
        error = write.explain()
        if isinstance(error, SeriesMoved):
            return error
    for write, code in failed:
        if code == "ConditionalCheckFailed":
            return write.explain()
    if any(code == "TransactionConflict" for _, code in failed):
        return SeriesMoved("Another transaction wrote the same items; try again.")
    return Conflict("The change could not be written (" + ", ".join(code for _, code in failed) + "); try again.")
