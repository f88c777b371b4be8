"""The review list: `ACCOUNT#{acct}#REVIEW#{id}` / `REVIEW`, listed newest first through GSI2
(`ACCOUNT#{acct}#REVIEWS#{shard}` / id, keys only): the same sharded collection as every account-wide
list, so a month-end run's bounces spread over 16 partitions. An item's id is derived from its cause
(domain/sending.py `review_id`), and `add` is conditional on it being new: a notification delivered
again adds nothing."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING

from invoicing.adapters.dynamodb.codec import load, packed
from invoicing.adapters.dynamodb.common import batch_get, sharded_page
from invoicing.adapters.dynamodb.keys import GSI2, SHARDS, Item, collection_pk, s, shard
from invoicing.domain.sending import AlreadyInReview, ReviewItem
from invoicing.services.ports import Page

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork


def review_key(account_id: str, review_id: str) -> Item:
    return {"PK": s(f"ACCOUNT#{account_id}#REVIEW#{review_id}"), "SK": s("REVIEW")}


class DynamoReviewItems:
    """The `ReviewItems` repository (the review list of sending)."""

    def __init__(self, uow: DynamoUnitOfWork) -> None:
        self._uow = uow

    def forget(self) -> None:
        pass

    def add(self, item: ReviewItem) -> None:
        self._uow.put(
            {**review_key(item.account_id, item.id), "doc": packed(item),
             "GSI2PK": s(collection_pk(item.account_id, "REVIEW", shard(item.id))), "GSI2SK": s(item.id)},
            lambda: AlreadyInReview(f"Review item {item.id} exists.", param="id"),
            "attribute_not_exists(PK)",
        )

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[ReviewItem]:
        condition = "GSI2PK = :pk" + (" AND GSI2SK < :after" if starting_after else "")
        requests = [{"TableName": self._uow.table, "IndexName": GSI2, "KeyConditionExpression": condition,
                     "ExpressionAttributeValues": {":pk": s(collection_pk(account_id, "REVIEW", i))}}
                    for i in range(SHARDS)]

        def fetch(keys: builtins.list[Item]) -> builtins.list[ReviewItem]:
            return [load(i, ReviewItem) for i in batch_get(self._uow.client, self._uow.table, keys)]

        return sharded_page(self._uow.client, requests, sort_key="GSI2SK", limit=limit, after=starting_after,
                            fetch=fetch)
