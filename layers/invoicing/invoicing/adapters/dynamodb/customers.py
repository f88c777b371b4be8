"""Customers (the buyers) in the single table: `ACCOUNT#{account_id}` / `CUSTOMER#{customer_id}`.

The customer's credit balance is money that transactions move (finalization takes credit off it,
a post-payment credit note adds to it), and a transaction cannot edit a field inside the JSON
document. So `credit_balance` also lives in a plain numeric attribute, which is the truth:
`get` lays it over the document, `update` never writes it, and only atomic writes change it
(`adjust_credit_balance`, `DynamoInvoices.finalize`, `DynamoInvoices.issue_credit_note`).
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from invoicing.adapters.dynamodb.common import error_code, low_level_client, query_page
from invoicing.adapters.dynamodb.keys import Item, account_pk, customer_key, get_n, n, s
from invoicing.domain.errors import Conflict, InvalidInput, NotFound
from invoicing.domain.party import Customer
from invoicing.services.ports import Page


def decode_customer(item: Item) -> Customer:
    customer = Customer.model_validate_json(item["doc"]["S"])
    balance = get_n(item, "credit_balance")
    return customer if balance is None else customer.model_copy(update={"credit_balance": balance})


def _not_found(customer_id: str) -> NotFound:
    return NotFound(f"No such customer: '{customer_id}'.", param="customer")


class DynamoCustomers:
    """The `Customers` port on DynamoDB."""

    def __init__(self, client: Any, table_name: str) -> None:
        self._client = low_level_client(client)
        self._table = table_name

    def add(self, customer: Customer) -> None:
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    **customer_key(customer.account_id, customer.id),
                    "doc": s(customer.model_dump_json()),
                    "credit_balance": n(customer.credit_balance),
                },
                ConditionExpression="attribute_not_exists(PK)",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise Conflict(
                    f"Customer '{customer.id}' already exists.", param="id", code="resource_already_exists"
                ) from error
            raise

    def get(self, account_id: str, customer_id: str) -> Customer:
        response = self._client.get_item(
            TableName=self._table, Key=customer_key(account_id, customer_id), ConsistentRead=True
        )
        item = response.get("Item")
        if item is None:
            raise _not_found(customer_id)
        return decode_customer(item)

    def update(self, customer: Customer) -> None:
        """Replace the customer's details. The credit balance is not written here (see the module
        docstring): change it with `adjust_credit_balance`, which cannot lose a concurrent change."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=customer_key(customer.account_id, customer.id),
                UpdateExpression="SET #doc = :doc",
                ConditionExpression="attribute_exists(PK)",
                ExpressionAttributeNames={"#doc": "doc"},
                ExpressionAttributeValues={":doc": s(customer.model_dump_json())},
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                raise _not_found(customer.id) from error
            raise

    def adjust_credit_balance(self, account_id: str, customer_id: str, delta: int) -> int:
        """Add `delta` (negative to take credit off) atomically; the balance never goes below 0.
        Returns the new balance."""
        condition = "attribute_exists(PK)"
        values = {":delta": n(delta), ":zero": n(0)}
        if delta < 0:
            condition += " AND credit_balance >= :needed"
            values[":needed"] = n(-delta)
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=customer_key(account_id, customer_id),
                UpdateExpression="SET credit_balance = if_not_exists(credit_balance, :zero) + :delta",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="UPDATED_NEW",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                current = self.get(account_id, customer_id)  # raises NotFound when that was the cause
                raise InvalidInput(
                    f"Customer '{customer_id}' has a credit balance of {current.credit_balance}, "
                    f"less than the {-delta} to take off.",
                    param="credit_balance",
                    code="balance_insufficient",
                ) from error
            raise
        return int(response["Attributes"]["credit_balance"]["N"])

    def list(self, account_id: str, *, limit: int, starting_after: str | None) -> Page[Customer]:
        """Newest first (ids sort by creation time)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {":pk": s(account_pk(account_id)), ":prefix": s("CUSTOMER#")},
            "ScanIndexForward": False,
        }
        if starting_after:
            request["ExclusiveStartKey"] = customer_key(account_id, starting_after)
        return query_page(self._client, request, limit=limit, decode=decode_customer)
