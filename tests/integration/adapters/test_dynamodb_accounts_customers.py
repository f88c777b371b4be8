from __future__ import annotations

import pytest

from invoicing.adapters.dynamodb import DynamoAccounts, DynamoCustomers
from invoicing.domain.errors import Conflict, InvalidInput, NotFound
from tests.integration.adapters.conftest import make_account, make_customer


def test_account_round_trip(accounts: DynamoAccounts) -> None:
    account = make_account(iban="SE4550000000058398257466")
    accounts.put(account)
    assert accounts.get(account.id) == account

    renamed = account.model_copy(update={"name": "Seller Group AB"})
    accounts.put(renamed)
    assert accounts.get(account.id).name == "Seller Group AB"


def test_missing_account_is_not_found(accounts: DynamoAccounts) -> None:
    with pytest.raises(NotFound) as raised:
        accounts.get("acct_missing")
    assert raised.value.param == "account"
    assert "acct_missing" in raised.value.message


def test_repositories_want_the_low_level_client(aws: None, table: str) -> None:
    import boto3

    with pytest.raises(TypeError, match=r"boto3\.client"):
        DynamoAccounts(boto3.resource("dynamodb", region_name="eu-west-1"), table)


def test_customer_round_trip(customers: DynamoCustomers) -> None:
    account = make_account()
    customer = make_customer(account, credit_balance=500, metadata={"crm": "42"})
    customers.add(customer)
    assert customers.get(account.id, customer.id) == customer


def test_adding_a_customer_twice_conflicts(customers: DynamoCustomers) -> None:
    customer = make_customer(make_account())
    customers.add(customer)
    with pytest.raises(Conflict):
        customers.add(customer)


def test_missing_customer_is_not_found(customers: DynamoCustomers) -> None:
    account = make_account()
    with pytest.raises(NotFound) as raised:
        customers.get(account.id, "cus_missing")
    assert raised.value.param == "customer"
    with pytest.raises(NotFound):
        customers.update(make_customer(account))


def test_a_customer_is_found_only_in_its_own_account(customers: DynamoCustomers) -> None:
    customer = make_customer(make_account())
    customers.add(customer)
    with pytest.raises(NotFound):
        customers.get(make_account().id, customer.id)


def test_update_replaces_details_but_never_the_credit_balance(customers: DynamoCustomers) -> None:
    account = make_account()
    customer = make_customer(account, credit_balance=1_000)
    customers.add(customer)
    # Meanwhile a finalization takes 300 of credit; the stale copy must not write 1000 back.
    customers.adjust_credit_balance(account.id, customer.id, -300)
    customers.update(customer.model_copy(update={"name": "Buyer Group AB", "credit_balance": 1_000}))

    stored = customers.get(account.id, customer.id)
    assert stored.name == "Buyer Group AB"
    assert stored.credit_balance == 700


def test_credit_balance_adjustments_never_go_below_zero(customers: DynamoCustomers) -> None:
    account = make_account()
    customer = make_customer(account, credit_balance=100)
    customers.add(customer)
    assert customers.adjust_credit_balance(account.id, customer.id, 250) == 350
    with pytest.raises(InvalidInput) as raised:
        customers.adjust_credit_balance(account.id, customer.id, -351)
    assert raised.value.code == "balance_insufficient"
    assert customers.get(account.id, customer.id).credit_balance == 350
    with pytest.raises(NotFound):
        customers.adjust_credit_balance(account.id, "cus_missing", 1)


def test_customers_list_newest_first_with_pagination(customers: DynamoCustomers) -> None:
    account = make_account()
    created = [make_customer(account, name=f"Buyer {i}") for i in range(5)]
    for customer in created:
        customers.add(customer)
    customers.add(make_customer(make_account()))  # another account's customer stays out

    first = customers.list(account.id, limit=2, starting_after=None)
    assert [c.id for c in first.data] == [created[4].id, created[3].id]
    assert first.has_more
    second = customers.list(account.id, limit=2, starting_after=first.data[-1].id)
    assert [c.id for c in second.data] == [created[2].id, created[1].id]
    assert second.has_more
    last = customers.list(account.id, limit=2, starting_after=second.data[-1].id)
    assert [c.id for c in last.data] == [created[0].id]
    assert not last.has_more
    exact = customers.list(account.id, limit=5, starting_after=None)
    assert len(exact.data) == 5 and not exact.has_more


def test_list_limit_is_bounded(customers: DynamoCustomers) -> None:
    with pytest.raises(InvalidInput):
        customers.list("acct_x", limit=0, starting_after=None)
    with pytest.raises(InvalidInput):
        customers.list("acct_x", limit=101, starting_after=None)
