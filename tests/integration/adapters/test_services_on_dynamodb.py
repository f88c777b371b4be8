"""The services' unit tests again, on the DynamoDB unit of work (moto): the adapter keeps the same
rules as the fakes, so what the fast tests prove holds on the real storage."""

from tests.unit.services.conftest import services  # noqa: F401 - the fixture, built on this package's `uow`
from tests.unit.services.test_catalog import *  # noqa: F403 - the catalog's use cases, on DynamoDB too
from tests.unit.services.test_sending import *  # noqa: F403 - sending, the hosted page, feedback, the review list
from tests.unit.services.test_services import *  # noqa: F403 - every test of the services, collected here too
