"""One typed settings model per function, read from the environment once at cold start.

This is the only module that reads `os.environ`; a missing variable fails the cold start with
a message naming it, never a silent default.

Plain frozen dataclasses rather than pydantic: the authorizer imports its settings and nothing of
pydantic, which alone costs it ~110 ms of cold start (bench/README.md, "Cold starts").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

S = TypeVar("S", bound="Settings")


def env(name: str) -> Any:
    """A setting read from the environment variable `name`: required, a non-empty string."""
    return field(metadata={"env": name})


def optional_env(name: str) -> Any:
    """A setting that may be empty (its variable is still declared in the template): "" means unset."""
    return field(metadata={"env": name, "optional": True})


@dataclass(frozen=True)
class Settings:
    @classmethod
    def from_env(cls: type[S]) -> S:
        values = {f.name: os.environ.get(f.metadata["env"], "") for f in fields(cls)}
        missing = [f.metadata["env"] for f in fields(cls) if not values[f.name] and not f.metadata.get("optional")]
        if missing:
            raise RuntimeError(f"{cls.__name__}: bad or missing environment variables: {', '.join(missing)}")
        return cls(**values)


@dataclass(frozen=True)
class ApiSettings(Settings):
    table_name: str = env("TABLE_NAME")
    idempotency_table_name: str = env("IDEMPOTENCY_TABLE_NAME")
    documents_bucket: str = env("DOCUMENTS_BUCKET")
    statements_bucket: str = env("STATEMENTS_BUCKET")
    files_bucket: str = env("FILES_BUCKET")
    # Where hosted invoice pages are; "" means the URL the request came to (docs/sending.md).
    public_base_url: str = optional_env("PUBLIC_BASE_URL")


@dataclass(frozen=True)
class ApiRunSettings(Settings):
    """The API's part in billing runs and test clocks (read beside ApiSettings)."""

    billing_run_queue_url: str = env("BILLING_RUN_QUEUE_URL")  # POST /billing_runs queues its pages here
    sandbox_mode: str = env("SANDBOX_MODE")  # "true": test clocks allowed (a sandbox deployment; local runtime)

    @property
    def sandbox(self) -> bool:
        return self.sandbox_mode.lower() == "true"


@dataclass(frozen=True)
class ApiClockDunningSettings(Settings):
    """In a sandbox, the API advances test clocks, and with them the dunning of the clocks' invoices:
    reminders mailed as the dunning function mails them, charge retries through the same provider
    (read beside ApiSettings, only when SANDBOX_MODE is true)."""

    sender_email: str = env("SENDER_EMAIL")  # a verified SES identity
    configuration_set: str = env("SES_CONFIGURATION_SET")
    mail_copy_dir: str = optional_env("MAIL_COPY_DIR")  # locally: every mail also as an .eml file here
    payment_provider: str = env("PAYMENT_PROVIDER")  # "none" or "stripe"
    stripe_api_key_parameter: str = optional_env("STRIPE_API_KEY_PARAMETER")


@dataclass(frozen=True)
class AuthorizerSettings(Settings):
    table_name: str = env("TABLE_NAME")


@dataclass(frozen=True)
class DocumentSettings(Settings):
    table_name: str = env("TABLE_NAME")
    documents_bucket: str = env("DOCUMENTS_BUCKET")
    public_base_url: str = env("PUBLIC_BASE_URL")  # printed on the PDF: the hosted page's link
    files_bucket: str = env("FILES_BUCKET")  # uploaded supporting documents' files, embedded in the documents


@dataclass(frozen=True)
class RelaySettings(Settings):
    event_bus_name: str = env("EVENT_BUS_NAME")


@dataclass(frozen=True)
class UsageSettings(Settings):
    table_name: str = env("TABLE_NAME")


@dataclass(frozen=True)
class BillingSettings(Settings):
    table_name: str = env("TABLE_NAME")
    documents_bucket: str = env("DOCUMENTS_BUCKET")
    billing_run_queue_url: str = env("BILLING_RUN_QUEUE_URL")
    billing_queue_url: str = env("BILLING_QUEUE_URL")
    max_receives: str = env("BILLING_MAX_RECEIVES")  # the billing queue's maxReceiveCount: a run's failed count


@dataclass(frozen=True)
class BillingRunSettings(Settings):
    table_name: str = env("TABLE_NAME")
    documents_bucket: str = env("DOCUMENTS_BUCKET")
    billing_run_queue_url: str = env("BILLING_RUN_QUEUE_URL")
    billing_queue_url: str = env("BILLING_QUEUE_URL")
    lookback_hours: str = env("BILLING_LOOKBACK_HOURS")  # how far back a run looks for boundaries left due


@dataclass(frozen=True)
class StripeWebhookSettings(Settings):
    payment_events_queue_url: str = env("PAYMENT_EVENTS_QUEUE_URL")
    # The name of the SecureString parameter holding the endpoint's signing secret (whsec_...).
    webhook_secret_parameter: str = env("STRIPE_WEBHOOK_SECRET_PARAMETER")


@dataclass(frozen=True)
class PaymentEventsSettings(Settings):
    table_name: str = env("TABLE_NAME")


@dataclass(frozen=True)
class StatementSettings(Settings):
    table_name: str = env("TABLE_NAME")
    statements_bucket: str = env("STATEMENTS_BUCKET")


@dataclass(frozen=True)
class CustomerMailSettings(Settings):
    """Mail to customers through SES, as the send worker sends it (the dunning functions' reminders and
    payment-status notices)."""

    table_name: str = env("TABLE_NAME")
    documents_bucket: str = env("DOCUMENTS_BUCKET")
    public_base_url: str = env("PUBLIC_BASE_URL")  # the hosted page's link in every mail
    sender_email: str = env("SENDER_EMAIL")  # a verified SES identity
    configuration_set: str = env("SES_CONFIGURATION_SET")  # publishes bounces and complaints to SNS
    mail_copy_dir: str = optional_env("MAIL_COPY_DIR")  # locally: every mail also as an .eml file here


@dataclass(frozen=True)
class DunningSettings(CustomerMailSettings):
    dunning_queue_url: str = env("DUNNING_QUEUE_URL")
    lookback_hours: str = env("DUNNING_LOOKBACK_HOURS")  # how far back a run looks for steps left due
    payment_provider: str = env("PAYMENT_PROVIDER")  # who takes charge retries: "none" or "stripe"
    # The SecureString holding the Stripe secret key (sk_...), read when PAYMENT_PROVIDER is "stripe".
    stripe_api_key_parameter: str = optional_env("STRIPE_API_KEY_PARAMETER")


@dataclass(frozen=True)
class DunningEventsSettings(CustomerMailSettings):
    """The dunning subscriber: the record follows the invoice; payment-status notices by email."""


@dataclass(frozen=True)
class SendingSettings(Settings):
    """The send worker: invoices and questions by email."""

    table_name: str = env("TABLE_NAME")
    documents_bucket: str = env("DOCUMENTS_BUCKET")
    public_base_url: str = env("PUBLIC_BASE_URL")
    sender_email: str = env("SENDER_EMAIL")  # a verified SES identity
    configuration_set: str = env("SES_CONFIGURATION_SET")  # publishes bounces and complaints to SNS
    mail_copy_dir: str = optional_env("MAIL_COPY_DIR")  # locally: every mail also as an .eml file here


@dataclass(frozen=True)
class FeedbackSettings(Settings):
    """The feedback worker: SES bounces and complaints from SNS."""

    table_name: str = env("TABLE_NAME")


@dataclass(frozen=True)
class HostedPageSettings(Settings):
    """The hosted invoice page (no API key)."""

    table_name: str = env("TABLE_NAME")
    documents_bucket: str = env("DOCUMENTS_BUCKET")
    public_base_url: str = env("PUBLIC_BASE_URL")
    payment_provider: str = env("PAYMENT_PROVIDER")  # "none": bank transfer only; "stripe": Stripe Checkout
    stripe_api_key_parameter: str = optional_env("STRIPE_API_KEY_PARAMETER")  # read when it is "stripe"
