"""Optional party data that EN 16931 e-invoices need and nothing else uses: the electronic address
(BT-34 / BT-49) and the seller's legal registration identifier (BT-30)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from invoicing.domain.party import ElectronicAddress

from .builders import customer, seller


def test_parties_have_no_electronic_address_unless_given() -> None:
    assert seller().electronic_address is None
    assert customer().electronic_address is None


def test_an_electronic_address_is_a_scheme_and_an_identifier() -> None:
    peppol_id = ElectronicAddress(scheme="0007", value="5567321707")

    assert seller(electronic_address=peppol_id).electronic_address == peppol_id
    assert customer(electronic_address={"scheme": "9930", "value": "DE136695976"}).electronic_address == (
        ElectronicAddress(scheme="9930", value="DE136695976")
    )


@pytest.mark.parametrize(
    ("scheme", "value"),
    [("7", "5567321707"), ("0007:", "5567321707"), ("em", "a@b.example"), ("0088", ""), ("0088", " 7300010000001")],
)
def test_a_malformed_electronic_address_is_refused(scheme: str, value: str) -> None:
    with pytest.raises(ValidationError):
        ElectronicAddress(scheme=scheme, value=value)


def test_the_seller_may_state_its_legal_registration_id() -> None:
    assert seller().legal_registration_id is None
    assert seller(legal_registration_id="5567037485").legal_registration_id == "5567037485"
    with pytest.raises(ValidationError):
        seller(legal_registration_id="")
