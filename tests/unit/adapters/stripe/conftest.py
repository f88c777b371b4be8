"""The services' fixtures (fakes), for the Stripe events that end in the reconciliation."""

from tests.unit.services.conftest import payments, services, uow  # noqa: F401 - fixtures, used by name
