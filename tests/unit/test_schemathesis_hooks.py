"""The numbers tests/e2e/schemathesis_hooks.py puts into schemathesis's valid cases are ones the API
accepts, and they go where the API checks digits."""

from __future__ import annotations

import pytest
from stdnum import bic, iban

from invoicing.domain.direct_debit import compact_creditor_id
from invoicing.domain.giro import compact_giro
from invoicing.domain.line_item import checked_standard_id
from invoicing.domain.party import PartyIdentifier, TaxRepresentative, validated_tax_id
from invoicing.domain.xrechnung import compact_leitweg_id
from tests.e2e.schemathesis_hooks import FIELDS, IDENTIFIERS, TAX_IDS, with_valid_check_digits


@pytest.mark.parametrize("kind", sorted(TAX_IDS))
def test_each_tax_id_is_valid(kind: str) -> None:
    assert validated_tax_id(kind, TAX_IDS[kind]).type == kind


@pytest.mark.parametrize("scheme", sorted(IDENTIFIERS))
def test_each_identifier_is_valid(scheme: str) -> None:
    if scheme == "0160":
        assert checked_standard_id(IDENTIFIERS[scheme], scheme).value == IDENTIFIERS[scheme]
    else:
        assert PartyIdentifier(value=IDENTIFIERS[scheme], scheme=scheme).value == IDENTIFIERS[scheme]


def test_each_field_is_valid() -> None:
    assert compact_giro("bankgiro", FIELDS["bankgiro"]) == "54029681"
    assert compact_giro("plusgiro", FIELDS["plusgiro"]) == "478123"
    assert compact_leitweg_id(FIELDS["leitweg_id"]) == FIELDS["leitweg_id"]
    assert TaxRepresentative.model_validate(
        {"name": "Rep", "vat_id": FIELDS["vat_id"], "address": {"line1": "Str 1", "city": "Berlin",
                                                               "country": "DE"}}).vat_id == FIELDS["vat_id"]
    assert iban.validate(FIELDS["iban"]) == FIELDS["iban"]  # as invoicing.services.accounts checks them
    assert bic.validate(FIELDS["bic"]) == FIELDS["bic"]
    assert compact_creditor_id(FIELDS["sepa_creditor_id"]) == FIELDS["sepa_creditor_id"]


def test_numbers_are_replaced_where_the_api_checks_digits() -> None:
    body = {"tax_ids": [{"type": "gb_vat", "value": "x"}], "iban": "y", "name": "keep",
            "identifiers": [{"value": "z", "scheme": "0007"}, {"value": "own"}],
            "lines": [{"item": {"standard_id": {"value": "1"}}}, {"item": {"standard_id": {"value": "2",
                                                                                           "scheme": "0088"}}}]}
    assert with_valid_check_digits(body) == {
        "tax_ids": [{"type": "gb_vat", "value": TAX_IDS["gb_vat"]}], "iban": FIELDS["iban"], "name": "keep",
        "identifiers": [{"value": IDENTIFIERS["0007"], "scheme": "0007"}, {"value": "own"}],
        "lines": [{"item": {"standard_id": {"value": IDENTIFIERS["0160"]}}},
                  {"item": {"standard_id": {"value": IDENTIFIERS["0088"], "scheme": "0088"}}}]}
