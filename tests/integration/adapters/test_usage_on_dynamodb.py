"""The usage use cases' unit tests again, on the DynamoDB unit of work (moto)."""

from tests.unit.services.test_usage import *  # noqa: F403 - every usage test, on this package's `uow`
from tests.unit.services.test_usage import usage  # noqa: F401 - the fixture, built on this package's `uow`
