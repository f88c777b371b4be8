"""DynamoDB repositories: the storage ports on one table (keys in `keys`, patterns in
docs/dynamodb-access-patterns.md)."""

from invoicing.adapters.dynamodb.accounts import DynamoAccounts
from invoicing.adapters.dynamodb.common import Backoff, DuplicateNumber, NumberingContention
from invoicing.adapters.dynamodb.customers import DynamoCustomers
from invoicing.adapters.dynamodb.invoices import DynamoInvoices

__all__ = [
    "Backoff",
    "DuplicateNumber",
    "DynamoAccounts",
    "DynamoCustomers",
    "DynamoInvoices",
    "NumberingContention",
]
