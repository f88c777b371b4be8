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
from invoicing.bootstrap.providers import payment_provider
from invoicing.config import HostedPageSettings
from invoicing.services.collection import ProviderCheckout
from invoicing.services.hosted import HostedPageService
from invoicing.services.ports import CheckoutLinks


def checkout_links(settings: HostedPageSettings) -> CheckoutLinks:
    """The pay button's provider (bootstrap/providers.py): `none` shows bank transfer only; `stripe`
    opens a Stripe Checkout Session for what remains, back to the page."""
    provider = payment_provider(settings.payment_provider, settings.stripe_api_key_parameter)
    return BankTransferOnly() if provider is None else ProviderCheckout(provider, settings.public_base_url)


def hosted_resolver(settings: HostedPageSettings | None = None) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    settings = settings or HostedPageSettings.from_env()
    pages = HostedPageService(DynamoUnitOfWork(boto3.client("dynamodb"), settings.table_name), clock, UlidIds(),
                              S3Documents(boto3.client("s3"), settings.documents_bucket),
                              checkout_links(settings), settings.public_base_url,
                              online_payments=settings.payment_provider != "none")
    return hosted_app(pages, lambda: clock.now().date()).resolve
