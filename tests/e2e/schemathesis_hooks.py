"""schemathesis hooks for tests/e2e/test_openapi_contract.py (SCHEMATHESIS_HOOKS=schemathesis_hooks).

A check digit is no rule JSON Schema can state: the document gives a tax ID's, an IBAN's, a GLN's or a
Leitweg-ID's form, and the API checks its digits (python-stdnum), so a string drawn from the form alone
is refused with 400 (docs/api.md, "The document states these rules"). Before a case that schemathesis
drew as valid is sent, each such value in its body is replaced with a real number of its kind, so that
the case is as valid as it was meant to be; cases drawn as invalid are sent as drawn.

The numbers are public test numbers; tests/unit/test_schemathesis_hooks.py checks that the API's
validators accept each one."""

from __future__ import annotations

from typing import Any

import schemathesis

# A tax ID's `type` -> a valid number of it.
TAX_IDS = {"eu_vat": "DE136695976", "gb_vat": "GB980780684", "no_vat": "NO995525828MVA",
           "ch_vat": "CHE-107.787.577 MWST", "au_abn": "51 824 753 556", "nz_gst": "49-091-850",
           "in_gst": "27AAPFU0939F1ZV", "ca_bn": "123456782", "us_ein": "04-2103594"}
# An identifier's ISO/IEC 6523 scheme with check digits -> a valid value of it; 0160 is a GTIN.
IDENTIFIERS = {"0088": "7300010000001", "0007": "5567321707", "0192": "923609016", "0184": "13585628",
               "0160": "4006381333931"}
# A field that always holds a number with check digits -> a valid one.
FIELDS = {"iban": "DE89370400440532013000", "bic": "DEUTDEFF", "bankgiro": "5402-9681", "plusgiro": "4 78 12-3",
          "vat_id": "DE136695976", "leitweg_id": "04011000-1234512345-06", "sepa_creditor_id": "DE98ZZZ09999999999"}


def with_valid_check_digits(value: Any) -> Any:
    """`value` (a request body) with each number that has check digits replaced by a valid one."""
    if isinstance(value, list):
        return [with_valid_check_digits(item) for item in value]
    if not isinstance(value, dict):
        return value
    fixed = {key: FIELDS[key] if key in FIELDS and isinstance(item, str) else with_valid_check_digits(item)
             for key, item in value.items()}
    if isinstance(standard := fixed.get("standard_id"), dict) and "scheme" not in standard:
        fixed["standard_id"] = {**standard, "value": IDENTIFIERS["0160"]}  # a GTIN unless it says
    if isinstance(fixed.get("value"), str):
        if fixed.get("type") in TAX_IDS:
            fixed["value"] = TAX_IDS[fixed["type"]]
        elif fixed.get("scheme") in IDENTIFIERS:
            fixed["value"] = IDENTIFIERS[fixed["scheme"]]
    return fixed


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    meta = case.meta
    if meta is not None and meta.generation.mode.is_positive and isinstance(case.body, dict | list):
        case.body = with_valid_check_digits(case.body)
