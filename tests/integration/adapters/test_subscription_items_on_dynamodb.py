"""The item-change and discount-rule use cases' unit tests again, on the DynamoDB unit of work (moto):
the change id, the always_invoice draft and the subscription in one transaction, and the rules'
active/inactive items."""

from tests.unit.services.test_discount_rules import (  # noqa: F401 - the tests, on this package's `uow`
    test_a_deactivated_rule_no_longer_applies_and_prorations_carry_the_rule_of_their_period,
    test_a_percent_coupon_is_reflected_in_the_prorations_and_discounts_only_the_other_lines,
    test_a_quantity_rule_applies_from_its_minimum,
    test_a_segment_rule_discounts_the_line_and_the_coupon_takes_its_share_of_the_rest,
    test_the_rule_that_takes_most_applies_alone_and_only_to_its_product,
)
from tests.unit.services.test_subscription_items import (  # noqa: F401 - the fixture and the tests
    env,
    test_a_downgrade_halfway_waits_for_the_next_invoice_as_its_two_lines,
    test_a_removed_item_larger_than_the_next_invoice_credits_the_balance_tax_included,
    test_always_invoice_retried_three_times_makes_one_invoice,
    test_an_add_on_from_day_9_of_31_at_3000_a_month_by_days,
    test_an_item_added_on_day_9_of_31_is_charged_23_days,
    test_cancel_at_period_end_after_a_downgrade_credits_the_balance,
    test_days_basis_in_yen_is_whole_yen,
    test_refusals,
    test_stripe_upgrade_halfway_credits_5_and_charges_10_on_the_next_invoice,
)
