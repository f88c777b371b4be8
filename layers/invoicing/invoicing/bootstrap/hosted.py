"""The hosted page function's composition root."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3

from invoicing.adapters.checkout import BankTransferOnly
from invoicing.adapters.clock import current as clock
from invoicing.adapters.dynamodb import DynamoUnitOfWork
from invoicing.adapters.ids import UlidIds
from invoicing.adapters.s3_documents import S3Documents
from invoicing.api.hosted import hosted_app
from invoicing.config import HostedPageSettings
from invoicing.services.hosted import HostedPageService
from invoicing.services.ports import CheckoutLinks

PROVIDERS: dict[str, Callable[[], CheckoutLinks]] = {"none": BankTransferOnly}


def hosted_resolver(settings: HostedPageSettings | None = None) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    settings = settings or HostedPageSettings.from_env()
    if settings.payment_provider not in PROVIDERS:
        raise RuntimeError(f"PAYMENT_PROVIDER must be one of {sorted(PROVIDERS)}, got {settings.payment_provider!r}")
    pages = HostedPageService(DynamoUnitOfWork(boto3.client("dynamodb"), settings.table_name), clock, UlidIds(),
                              S3Documents(boto3.client("s3"), settings.documents_bucket),
                              PROVIDERS[settings.payment_provider](), settings.public_base_url,
                              online_payments=settings.payment_provider != "none")
    return hosted_app(pages, lambda: clock.now().date()).resolve
