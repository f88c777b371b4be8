"""The payment provider a function is configured with (`PAYMENT_PROVIDER`): `none`, or `stripe` with
its secret key in an SSM SecureString (`STRIPE_API_KEY_PARAMETER`), read through Powertools
Parameters (decrypted, cached per container for POWERTOOLS_PARAMETERS_MAX_AGE seconds) when a
request needs it, never from the environment. `stripe` is imported only when it is the provider."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from invoicing.services.ports import PaymentProvider

PROVIDER_NAMES = ("none", "stripe")


def payment_provider(name: str, stripe_api_key_parameter: str) -> PaymentProvider | None:
    """The configured provider; None for `none` (no charges; the hosted page offers bank transfer)."""
    if name not in PROVIDER_NAMES:
        raise RuntimeError(f"PAYMENT_PROVIDER must be one of {list(PROVIDER_NAMES)}, got {name!r}")
    if name == "none":
        return None
    if not stripe_api_key_parameter:
        raise RuntimeError("PAYMENT_PROVIDER is stripe: STRIPE_API_KEY_PARAMETER must name the key's parameter")
    from aws_lambda_powertools.utilities import parameters

    from invoicing.adapters.stripe_provider import StripeProvider, client_for_key

    return StripeProvider(client_for_key(lambda: str(parameters.get_parameter(stripe_api_key_parameter,
                                                                                 decrypt=True))))
