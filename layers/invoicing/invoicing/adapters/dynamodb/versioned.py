"""A repository of one account's documents that are each one item (`{key}` / `{SK}`), added once and
then saved by version: bank statement uploads, uploaded files. The document's own events, if it has
any, travel in the item (`outbox_count`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from pydantic import BaseModel

from invoicing.adapters.dynamodb.codec import load
from invoicing.adapters.dynamodb.events import with_events
from invoicing.adapters.dynamodb.keys import Item, n, s
from invoicing.domain.errors import ConcurrentChange, Conflict, NotFound

if TYPE_CHECKING:
    from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork

D = TypeVar("D", bound=BaseModel)


class VersionedDocuments(Generic[D]):
    def __init__(self, uow: DynamoUnitOfWork, model: type[D], key: Callable[[str, str], Item], *,
                 noun: str, param: str) -> None:
        self._uow, self._model, self._key, self._noun, self._param = uow, model, key, noun, param
        self._versions: dict[str, int] = {}

    def forget(self) -> None:
        self._versions = {}

    def _item(self, document: Any) -> Item:
        return {**self._key(document.account_id, document.id), "status": s(document.status),
                "version": n(document.version), **with_events(document, [], getattr(document, "events", ()))}

    def add(self, document: D) -> None:
        doc: Any = document
        self._uow.put(self._item(doc),
                      lambda: Conflict(f"{self._noun.capitalize()} '{doc.id}' already exists.", param="id",
                                       code="resource_already_exists"),
                      "attribute_not_exists(PK)")

    def get(self, account_id: str, document_id: str) -> D:
        response: dict[str, Any] = self._uow.client.get_item(
            TableName=self._uow.table, Key=self._key(account_id, document_id), ConsistentRead=True)
        if "Item" not in response:
            raise NotFound(f"No such {self._noun}: '{document_id}'.", param=self._param)
        document: Any = load(response["Item"], self._model)
        self._versions[document.id] = document.version
        return document

    def save(self, document: D) -> None:
        doc: Any = document
        if doc.id not in self._versions:
            raise ValueError(f"save a {self._noun} read in this unit of work")
        self._uow.put(self._item(doc),
                      lambda: ConcurrentChange(f"{self._noun.capitalize()} '{doc.id}' was changed concurrently.",
                                               param=self._param),
                      "#version = :loaded", ExpressionAttributeNames={"#version": "version"},
                      ExpressionAttributeValues={":loaded": n(self._versions[doc.id])})
