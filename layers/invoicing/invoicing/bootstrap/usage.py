"""The usage function's composition root: the usage queue's messages -> `UsageService.record`."""

from __future__ import annotations

import boto3

from invoicing.adapters.clock import current as clock
from invoicing.adapters.dynamodb import DynamoUnitOfWork
from invoicing.adapters.dynamodb.billing_runs import TestClockTime
from invoicing.adapters.ids import UlidIds
from invoicing.config import UsageSettings
from invoicing.services.usage import UsageService


def usage_service(settings: UsageSettings | None = None) -> UsageService:
    settings = settings or UsageSettings.from_env()
    client = boto3.client("dynamodb")
    # Test clocks: only a customer created on one (in a sandbox) has one, so a live stack reads nothing more.
    return UsageService(DynamoUnitOfWork(client, settings.table_name), clock, UlidIds(),
                        clocks=TestClockTime(clock, client, settings.table_name))
