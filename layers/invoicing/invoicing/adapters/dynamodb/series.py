"""Number series counters: `ACCOUNT#{acct}#SERIES#{prefix}` / `SERIES`, attribute `seq` (the last
sequence number given).

A series is identified by its prefix, because a number names its series: the sequence is the digits
after the last hyphen and the prefix everything before it. So two settings that format with the
same prefix (an account prefix and a customer's, or the invoice and credit note prefixes) share one
counter, and no two documents can ever get the same number, whatever the configuration.

The counter moves only in the commit that writes the numbered documents, conditioned on still
holding what was read: a commit that lost the race raises `SeriesMoved` and writes nothing, so a
number is never skipped and never given twice. A batch reserves consecutive numbers with one
counter update, so a billing run numbers at the rate of transactions on one item, not invoices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from invoicing.adapters.dynamodb.keys import get_n, n, s, series_key
from invoicing.domain.errors import SeriesMoved
from invoicing.domain.numbering import Series

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork


class DynamoNumberSeries:
    """The `NumberSeries` port."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow
        self._reserved: set[tuple[str, str]] = set()

    def forget(self) -> None:
        self._reserved = set()

    def next(self, account_id: str, series: Series) -> int:
        return self.reserve(account_id, series, 1).start

    def reserve(self, account_id: str, series: Series, count: int) -> range:
        if count < 1:
            raise ValueError("reserve at least one number")
        if (account_id, series.key) in self._reserved:
            raise ValueError(f"series {series.key} is already reserved in this unit of work: reserve once per batch")
        key = series_key(account_id, series.key)
        response = self._uow.client.get_item(TableName=self._uow.table, Key=key, ConsistentRead=True,
                                             ProjectionExpression="#seq",
                                             ExpressionAttributeNames={"#seq": "seq"})
        current = get_n(response.get("Item") or {}, "seq") or 0
        values = {":next": n(current + count), ":prefix": s(series.prefix)}
        if current:
            condition = "#seq = :current"
            values[":current"] = n(current)
        else:
            condition = "attribute_not_exists(PK)"
        self._uow.update(
            key, "SET #seq = :next, #prefix = :prefix",
            lambda: SeriesMoved(f"Series '{series.key}' moved on while numbering; try again.", param="series"),
            condition, ExpressionAttributeNames={"#seq": "seq", "#prefix": "prefix"},
            ExpressionAttributeValues=values,
        )
        self._reserved.add((account_id, series.key))
        return range(current + 1, current + count + 1)
