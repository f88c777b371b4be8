"""The billing use cases' unit tests again, on the DynamoDB unit of work (moto). (The staged concurrent
commit needs the fake's hook; on DynamoDB the same rule is the subscription's version condition.)"""

from tests.unit.services.test_billing import (  # noqa: F401 - the fixture and the tests, on this package's `uow`
    billing,
    test_a_batch_is_numbered_together_and_a_retry_finalizes_nothing_twice,
    test_a_paused_subscription_skips_its_boundaries,
    test_a_period_with_nothing_to_bill_makes_no_invoice,
    test_a_renewal_bills_seats_ahead_and_usage_behind_once_the_grace_period_passed,
    test_cancel_at_period_end_bills_the_last_periods_usage_and_nothing_after,
    test_each_boundary_is_billed_once,
    test_the_run_lists_due_boundaries_in_pages_onto_the_work_queue,
)
