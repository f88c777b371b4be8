"""DynamoDB adapters: the unit of work and its repositories on one table (keys in `keys`, patterns
in docs/dynamodb-access-patterns.md)."""

from invoicing.adapters.dynamodb.common import Backoff
from invoicing.adapters.dynamodb.unit_of_work import DynamoUnitOfWork

__all__ = ["Backoff", "DynamoUnitOfWork"]
