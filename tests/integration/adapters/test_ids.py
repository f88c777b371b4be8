from __future__ import annotations

import re
import time

import pytest

from invoicing.adapters.ids import encode_ulid, new_id, ulid_timestamp_ms


def test_ids_have_the_prefix_and_26_crockford_characters() -> None:
    identifier = new_id("inv")
    assert re.fullmatch(r"inv_[0-9abcdefghjkmnpqrstvwxyz]{26}", identifier)


def test_ids_sort_in_creation_order_even_within_one_millisecond() -> None:
    ids = [new_id("cus") for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_ids_carry_their_creation_time() -> None:
    before = time.time_ns() // 1_000_000
    identifier = new_id("cn")
    after = time.time_ns() // 1_000_000
    assert before <= ulid_timestamp_ms(identifier) <= after + 1


def test_encoding_is_fixed_width_and_order_preserving() -> None:
    assert encode_ulid(0) == "0" * 26
    assert encode_ulid((1 << 128) - 1) == "7" + "z" * 25
    assert encode_ulid(1 << 80) < encode_ulid((1 << 81) + 5)


@pytest.mark.parametrize("prefix", ["", "Inv", "in v", "inv_"])
def test_prefixes_are_lower_case_words(prefix: str) -> None:
    with pytest.raises(ValueError):
        new_id(prefix)
