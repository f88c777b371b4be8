"""Typed domain errors. The API maps them to HTTP in one place (invoicing.api.errors)."""

from __future__ import annotations

from pydantic import ValidationError


class DomainError(Exception):
    """A rule of the business was broken. `code` is stable; `param` names the field at fault."""

    code = "invalid_request"

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code:
            self.code = code


class InvalidInput(DomainError):
    code = "invalid_input"


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"


class CurrencyMismatch(InvalidInput):
    code = "currency_mismatch"


class InvalidTaxId(InvalidInput):
    code = "invalid_tax_id"


class NotFound(DomainError):
    code = "resource_missing"


class Conflict(DomainError):
    """The request is valid but the object's state forbids it (HTTP 409)."""

    code = "conflict"


class InvalidStateTransition(Conflict):
    code = "invalid_state_transition"


class InvoiceNotDraft(Conflict):
    code = "invoice_not_draft"


class FinalizationBlocked(Conflict):
    code = "finalization_blocked"

    def __init__(self, message: str, *, issues: list | None = None, param: str | None = None) -> None:
        super().__init__(message, param=param)
        self.issues = issues or []


class SeriesMoved(Conflict):
    """Another commit took the number this one was about to give: run the use case again.

    Raised at commit when a number series' counter is no longer what was read; never leaves a gap,
    since nothing of the commit was written."""

    code = "series_moved"


class NumberingContention(Conflict):
    """A series stayed contended for the whole retry budget: the request may simply be retried."""

    code = "lock_timeout"


def invalid_input(error: ValidationError) -> InvalidInput:
    """A document that a change would make invalid (a required field set to null, say): bad input,
    naming the first field at fault, never a fault of ours."""
    first = error.errors()[0] if error.errors() else {"loc": (), "msg": "is invalid"}
    param = ".".join(str(part) for part in first.get("loc", ())) or None
    message = str(first.get("msg", "is invalid")).removeprefix("Value error, ")
    if first.get("type") in ("string_type", "model_type", "int_type", "dict_type", "list_type") \
            and first.get("input") is None:
        message = "may not be null (it always has a value; send a value, or leave the field out)"
    return InvalidInput(f"Invalid field '{param}': {message}.", param=param)


class ConcurrentChange(Conflict):
    """A document read in this unit of work was changed by another commit before this one: the use
    case may run again on fresh reads (a payment racing another for one invoice does)."""

    code = "conflict"


class PaymentAlreadyRecorded(Conflict):
    """A payment with this key (provider event, bank entry) is recorded already: it is applied once."""

    code = "payment_already_recorded"


class PaymentContention(Conflict):
    """The documents a payment changes stayed contended for the whole retry budget: retry it."""

    code = "lock_timeout"
