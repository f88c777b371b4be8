"""Request bodies, validated at the edge: the API parses bodies into these and hands the use cases
the commands of `invoicing.services.commands`.

Money fields are strict integers of minor units: a float or a string is refused, never rounded,
and none may exceed `MAX_AMOUNT` (nor may a line's quantity x unit price). Quantities and
sub-minor-unit prices are decimal strings (or integers), as in Stripe's API.

Every string of every body, nested ones and metadata included, passes one check (`refuse_controls`):
no control character and no bidirectional override anywhere; line breaks and tabs only in the free
texts that print as paragraphs (docs/api.md, "Text").
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from invoicing.domain.credit_note import CreditLineRequest
from invoicing.domain.errors import UnknownCurrency
from invoicing.domain.money import MAX_AMOUNT, normalize_currency, round_minor
from invoicing.domain.party import (
    EAS_CODES,
    SUPPORTED_LOCALES,
    Address,
    Branding,
    ElectronicAddress,
    Numbering,
    SellerTexts,
)
from invoicing.domain.tax import TaxRate
from invoicing.domain.totals import Charge, Discount
from invoicing.services.commands import Changes, NewCreditNote, NewInvoice, NewLine, TaxIdInput
from invoicing.services.invoices import MAX_LINES


def _decimal_from_text(value: object) -> Decimal:
    """Accept an int or a decimal string; refuse floats (they cannot hold money exactly)."""
    if isinstance(value, bool) or isinstance(value, float):
        raise ValueError("must be an integer or a decimal string such as \"2.5\", not a JSON float")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"'{value}' is not a decimal number") from None
        if not number.is_finite():
            raise ValueError("must be a finite number")
        return number
    if isinstance(value, Decimal):
        return value
    raise ValueError("must be an integer or a decimal string")


DecimalText = Annotated[Decimal, BeforeValidator(_decimal_from_text)]
MinorUnits = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT, description="Integer amount in the currency's minor unit")]
# Stripe's limits: 50 keys (on the field), keys of 40 characters, values of 500.
Metadata = dict[Annotated[str, Field(min_length=1, max_length=40)], Annotated[str, Field(max_length=500)]]
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# What no text may hold: C0 and C1 control characters (NUL, ESC, ...) and DEL, which print as
# nothing or boxes in a PDF and cannot be written to XML at all; the bidirectional embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069), which make a reader see other text than
# what is stored ("invoice\u202egpj.exe"); lone surrogates and the noncharacters U+FFFE, U+FFFF.
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]")
# Tab, line feed, carriage return and the Unicode line and paragraph separators: whitespace that
# breaks a line. Allowed only in the free texts that print as paragraphs (and in metadata values).
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")
PARAGRAPH_FIELDS = frozenset({"description", "footer", "memo", "message", "payment_terms", "exemption_reason"})


def refuse_controls(value: object, *, paragraphs: bool = False, at: str = "") -> None:
    """Refuse (ValueError) a string, or any string inside lists and objects, holding a character no
    text may hold; a line break or tab only where `paragraphs` (a field of PARAGRAPH_FIELDS, or
    inside one) allows it. `at` is the path inside the field, for the message."""
    if isinstance(value, str):
        bad = _NOT_TEXT.search(value) or (None if paragraphs else _LINE_BREAKS.search(value.strip()))
        if bad:
            where = f"'{at}' " if at else ""
            kind = "a line break or tab, which only free texts may hold" if _LINE_BREAKS.match(bad.group()) \
                else "a control or bidirectional formatting character, which no text may hold"
            raise ValueError(f"{where}contains U+{ord(bad.group()):04X}, {kind}".strip())
    elif isinstance(value, dict):
        for key, item in value.items():
            name = str(key) if len(str(key)) <= 40 else str(key)[:40] + "…"
            refuse_controls(key, at=f"{at}.{name}" if at else name)
            refuse_controls(item, paragraphs=paragraphs or key in PARAGRAPH_FIELDS,
                            at=f"{at}.{name}" if at else name)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            refuse_controls(item, paragraphs=paragraphs, at=f"{at}[{i}]")


def _holds_command(annotation: object) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, Command):
        return True
    return any(_holds_command(arg) for arg in get_args(annotation))


@cache
def _nested_commands(model: type[Command]) -> frozenset[str]:
    return frozenset(name for name, f in model.model_fields.items() if _holds_command(f.annotation))


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _text_only(cls, value: object, info: ValidationInfo) -> object:
        # Every field of every body, before anything else reads it; metadata values are free text.
        # A field holding bodies of their own (lines, discounts, tax ids) leaves them to their own
        # check, which names the field at fault (`lines[0].description`).
        name = info.field_name or ""
        if name in _nested_commands(cls):
            return value
        if name == "metadata" and isinstance(value, dict):
            for key, item in value.items():
                refuse_controls(key)
                refuse_controls(item, paragraphs=True)
            return value
        refuse_controls(value, paragraphs=name in PARAGRAPH_FIELDS)
        return value


def _email(value: str | None) -> str | None:
    if value is not None and not EMAIL.match(value):
        raise ValueError("must be an email address such as billing@example.com")
    return value


def _currency(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalize_currency(value)
    except UnknownCurrency as exc:
        raise ValueError(exc.message) from None


def _electronic_address(value: ElectronicAddress | None) -> ElectronicAddress | None:
    if value is not None and value.scheme not in EAS_CODES:
        raise ValueError(f"scheme {value.scheme!r} is not in the EAS code list (EN 16931 BR-CL-25), e.g. 0007 for "
                         "a Swedish organisation number, 0088 for a GLN, 9930 for a German VAT number")
    return value


def _locale(value: str | None) -> str | None:
    if value is not None and value not in SUPPORTED_LOCALES:
        raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
    return value


class TaxIdIn(Command):
    type: Literal["eu_vat", "gb_vat", "no_vat", "ch_vat", "au_abn", "nz_gst", "in_gst", "ca_bn", "us_ein"]
    value: str = Field(min_length=2, max_length=40)


class CustomerCreate(Command):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    address: Address | None = None
    tax_ids: list[TaxIdIn] = Field(default_factory=list, max_length=5)
    tax_exempt: Literal["none", "exempt", "reverse"] = "none"
    locale: str = "en"
    currency: str = "EUR"
    invoice_prefix: str | None = Field(default=None, pattern=r"^[A-Z0-9][A-Z0-9-]{0,11}$")
    default_payment_method: str | None = Field(default=None, max_length=100)
    einvoice_format: Literal["pdf", "facturx", "ubl", "cii"] = "facturx"
    electronic_address: ElectronicAddress | None = None
    metadata: Metadata = Field(default_factory=dict, max_length=50)

    _check_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))
    _check_currency = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))
    _check_locale = field_validator("locale")(classmethod(lambda cls, v: _locale(v)))
    _check_address = field_validator("electronic_address")(classmethod(lambda cls, v: _electronic_address(v)))


class CustomerUpdate(Command):
    """Only the fields present are changed."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    address: Address | None = None
    tax_ids: list[TaxIdIn] | None = Field(default=None, max_length=5)
    tax_exempt: Literal["none", "exempt", "reverse"] | None = None
    locale: str | None = None
    currency: str | None = None
    invoice_prefix: str | None = Field(default=None, pattern=r"^[A-Z0-9][A-Z0-9-]{0,11}$")
    default_payment_method: str | None = Field(default=None, max_length=100)
    einvoice_format: Literal["pdf", "facturx", "ubl", "cii"] | None = None
    electronic_address: ElectronicAddress | None = None
    metadata: Metadata | None = Field(default=None, max_length=50)

    _check_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))
    _check_currency = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))
    _check_locale = field_validator("locale")(classmethod(lambda cls, v: _locale(v)))
    _check_address = field_validator("electronic_address")(classmethod(lambda cls, v: _electronic_address(v)))


class DiscountIn(Command):
    description: str | None = Field(default=None, max_length=200)
    percent_off: DecimalText | None = Field(default=None, gt=0, le=100, decimal_places=4)
    amount_off: MinorUnits | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> DiscountIn:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("give exactly one of percent_off or amount_off")
        return self


class ChargeIn(Command):
    """A charge (shipping, handling, a fee) on a line or the invoice: a percentage or an amount."""

    description: str = Field(min_length=1, max_length=200)
    percent: DecimalText | None = Field(default=None, gt=0, le=1000, decimal_places=4)
    amount: MinorUnits | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> ChargeIn:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give exactly one of percent or amount")
        return self


class TaxRateIn(Command):
    """A manual tax rate (GST, sales tax, anything the automatic EU VAT rules do not cover)."""

    percent: DecimalText = Field(ge=0, le=100, decimal_places=4)
    name: str = Field(default="Tax", min_length=1, max_length=40)
    category: Literal["S", "Z", "E", "AE", "G", "O", "K"] = "S"
    exemption_reason: str | None = Field(default=None, max_length=300)


class PeriodIn(Command):
    start: date
    end: date

    @model_validator(mode="after")
    def _ordered(self) -> PeriodIn:
        if self.end < self.start:
            raise ValueError("end must not be before start")
        return self


def _check_supply(supply_date: date | None, period: PeriodIn | None) -> None:
    if supply_date is not None and period is not None:
        raise ValueError("give a supply_date or a period, not both")


class LineIn(Command):
    description: str = Field(min_length=1, max_length=500)
    quantity: DecimalText = Field(default=Decimal(1), gt=0, le=10**9, decimal_places=6)
    unit_amount: MinorUnits | None = None
    unit_amount_decimal: DecimalText | None = Field(
        default=None, ge=0, le=MAX_AMOUNT, decimal_places=12,
        description="Unit price in minor units with up to 12 decimals, as a string (\"0.0125\")",
    )
    unit_code: str = Field(default="C62", pattern=r"^[A-Z0-9]{1,3}$", description="UN/ECE Recommendation 20 unit")
    tax_code: Literal["standard", "zero_rated", "exempt"] = "standard"
    tax_rate: TaxRateIn | None = None
    discounts: list[DiscountIn] = Field(default_factory=list, max_length=5)
    charges: list[ChargeIn] = Field(default_factory=list, max_length=5)
    supply_date: date | None = Field(default=None, description="When this line was supplied (or give `period`)")
    period: PeriodIn | None = Field(default=None, description="The service period this line covers")

    @model_validator(mode="after")
    def _one_price(self) -> LineIn:
        if (self.unit_amount is None) == (self.unit_amount_decimal is None):
            raise ValueError("give exactly one of unit_amount (integer minor units) or unit_amount_decimal")
        if round_minor(self.quantity * self.unit_price) > MAX_AMOUNT:
            raise ValueError(f"quantity x unit price comes to more than {MAX_AMOUNT} minor units, the most an "
                             "amount may be")
        _check_supply(self.supply_date, self.period)
        return self

    @property
    def unit_price(self) -> Decimal:
        return Decimal(self.unit_amount) if self.unit_amount is not None else Decimal(self.unit_amount_decimal or 0)


class InvoiceCreate(Command):
    customer: str = Field(min_length=1, max_length=64, description="The customer's id (cus_...)")
    currency: str | None = None
    collection_method: Literal["send_invoice", "charge_automatically"] = "send_invoice"
    days_until_due: int | None = Field(default=None, ge=0, le=365)
    due_date: date | None = None
    supply_date: date | None = Field(default=None, description="The date of supply (BT-72), or give `period`")
    period: PeriodIn | None = Field(default=None, description="The service period of the invoice (BG-14)")
    tax_behavior: Literal["exclusive", "inclusive"] = "exclusive"
    description: str | None = Field(default=None, max_length=1000, description="A memo printed above the lines")
    footer: str | None = Field(default=None, max_length=500, description="Replaces the account's footer")
    buyer_reference: str | None = Field(default=None, max_length=100)
    purchase_order: str | None = Field(default=None, max_length=100)
    lines: list[LineIn] = Field(default_factory=list, max_length=MAX_LINES)
    discounts: list[DiscountIn] = Field(default_factory=list, max_length=5)
    charges: list[ChargeIn] = Field(default_factory=list, max_length=5)
    metadata: Metadata = Field(default_factory=dict, max_length=50)

    _check_currency = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))

    @model_validator(mode="after")
    def _supply_once(self) -> InvoiceCreate:
        _check_supply(self.supply_date, self.period)
        return self


class InvoiceLinesAdd(Command):
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class CreditNoteLineIn(Command):
    """A credit note line, as Stripe's: an invoice line (all that remains of it, a `quantity` or an
    `amount` of it) or a custom line (description, quantity, unit price, one of the invoice's rates).
    Amounts are in the invoice's price terms: excluding VAT, or including it for tax-inclusive prices."""

    type: Literal["invoice_line_item", "custom_line_item"]
    invoice_line_item: str | None = Field(default=None, min_length=1, max_length=64,
                                          description="The invoice line credited (il_...)")
    quantity: DecimalText | None = Field(default=None, gt=0, le=10**9, decimal_places=6)
    amount: MinorUnits | None = Field(default=None, description="How much of the invoice line to credit")
    description: str | None = Field(default=None, min_length=1, max_length=500)
    unit_amount: MinorUnits | None = None
    unit_amount_decimal: DecimalText | None = Field(default=None, ge=0, le=10**15, decimal_places=12)
    unit_code: str = Field(default="C62", pattern=r"^[A-Z0-9]{1,3}$", description="UN/ECE Recommendation 20 unit")
    tax_rate: TaxRateIn | None = Field(default=None, description="Custom lines: one of the invoice's rates")

    @model_validator(mode="after")
    def _one_price(self) -> CreditNoteLineIn:
        if self.unit_amount is not None and self.unit_amount_decimal is not None:
            raise ValueError("give at most one of unit_amount or unit_amount_decimal")
        return self


class CreditNoteCreate(Command):
    invoice: str = Field(min_length=1, max_length=64, description="The invoice's id (in_...)")
    lines: list[CreditNoteLineIn] = Field(default_factory=list, max_length=MAX_LINES)
    amount: MinorUnits | None = Field(
        default=None, description="Including tax. Alone: only on an invoice with a single tax rate. With lines: "
                                  "must be their total. Neither: everything that can still be credited")
    reason: Literal["duplicate", "fraudulent", "order_change", "product_unsatisfactory"] | None = None
    memo: str | None = Field(default=None, max_length=500)
    credit_amount: MinorUnits | None = Field(
        default=None, description="After payment: what goes to the customer's credit balance (default: all)")
    out_of_band_amount: MinorUnits | None = Field(
        default=None, description="After payment: what was refunded outside this system")
    refund_amount: MinorUnits | None = Field(default=None, description="Not supported: see out_of_band_amount")

    @field_validator("refund_amount")
    @classmethod
    def _no_refunds(cls, value: int | None) -> int | None:
        if value:
            raise ValueError("refunds through a payment provider are not made here; record a refund made "
                             "elsewhere as out_of_band_amount")
        return value


class AccountUpdate(Command):
    """The seller's details, branding and numbering. Only the fields present are changed."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, max_length=200)
    address: Address | None = None
    tax_ids: list[TaxIdIn] | None = Field(default=None, max_length=5)
    iban: str | None = Field(default=None, max_length=42)
    bic: str | None = Field(default=None, max_length=11)
    legal_registration_id: str | None = Field(default=None, max_length=100,
                                              description="Company registration number (EN 16931 BT-30)")
    electronic_address: ElectronicAddress | None = None
    default_currency: str | None = None
    default_locale: str | None = None
    days_until_due: int | None = Field(default=None, ge=0, le=365)
    payment_terms: str | None = Field(default=None, max_length=300,
                                      description="In every language: used where `texts` gives none")
    texts: SellerTexts | None = Field(default=None, description=(
        "Message, payment terms and footer per language (`en`, `sv`, `de`) with a `default_language` "
        "as the fallback; replaced as a whole, null clears it"))
    branding: Branding | None = None
    numbering: Numbering | None = None

    _check_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))
    _check_currency = field_validator("default_currency")(classmethod(lambda cls, v: _currency(v)))
    _check_locale = field_validator("default_locale")(classmethod(lambda cls, v: _locale(v)))
    _check_address = field_validator("electronic_address")(classmethod(lambda cls, v: _electronic_address(v)))


# --- bodies -> commands ---------------------------------------------------------------------------

def _discount(d: DiscountIn) -> Discount:
    return Discount(description=d.description, percent_off=d.percent_off, amount_off=d.amount_off)


def _charge(c: ChargeIn) -> Charge:
    return Charge(description=c.description, percent=c.percent, amount=c.amount)


def new_line(line: LineIn) -> NewLine:
    manual = line.tax_rate
    return NewLine(
        description=line.description, quantity=line.quantity, unit_amount_decimal=line.unit_price,
        unit_code=line.unit_code, tax_code=line.tax_code,
        tax_rate=TaxRate(category=manual.category, percent=manual.percent, name=manual.name,
                         exemption_reason=manual.exemption_reason) if manual else None,
        discounts=tuple(_discount(d) for d in line.discounts), charges=tuple(_charge(c) for c in line.charges),
        supply_date=line.supply_date,
        period_start=line.period.start if line.period else None, period_end=line.period.end if line.period else None,
    )


def new_invoice(body: InvoiceCreate) -> NewInvoice:
    return NewInvoice(
        customer_id=body.customer, lines=tuple(new_line(line) for line in body.lines), currency=body.currency,
        collection_method=body.collection_method, days_until_due=body.days_until_due, due_date=body.due_date,
        supply_date=body.supply_date, period_start=body.period.start if body.period else None,
        period_end=body.period.end if body.period else None,
        tax_behavior=body.tax_behavior, description=body.description, footer=body.footer,
        buyer_reference=body.buyer_reference, purchase_order=body.purchase_order,
        discounts=tuple(_discount(d) for d in body.discounts), charges=tuple(_charge(c) for c in body.charges),
        metadata=body.metadata,
    )


def new_lines(body: InvoiceLinesAdd) -> list[NewLine]:
    return [new_line(line) for line in body.lines]


def _tax_ids(tax_ids: list[TaxIdIn] | None) -> list[TaxIdInput] | None:
    return None if tax_ids is None else [TaxIdInput(type=t.type, value=t.value) for t in tax_ids]


def new_customer(body: CustomerCreate) -> Changes:
    return Changes(fields=body.model_dump(exclude={"tax_ids"}), tax_ids=_tax_ids(body.tax_ids))


def changes(body: CustomerUpdate | AccountUpdate) -> Changes:
    """Only the fields the body names change."""
    present = body.model_fields_set
    return Changes(fields={name: getattr(body, name) for name in present if name != "tax_ids"},
                   tax_ids=_tax_ids(body.tax_ids) if "tax_ids" in present else None)


def _credit_line(line: CreditNoteLineIn) -> CreditLineRequest:
    unit = Decimal(line.unit_amount) if line.unit_amount is not None else line.unit_amount_decimal
    rate = line.tax_rate
    return CreditLineRequest(
        type=line.type, invoice_line_item=line.invoice_line_item, quantity=line.quantity, amount=line.amount,
        description=line.description, unit_amount_decimal=unit, unit_code=line.unit_code,
        tax_rate=TaxRate(category=rate.category, percent=rate.percent, name=rate.name,
                         exemption_reason=rate.exemption_reason) if rate else None,
    )


def new_credit_note(body: CreditNoteCreate) -> NewCreditNote:
    return NewCreditNote(invoice_id=body.invoice, amount=body.amount, reason=body.reason, memo=body.memo,
                         lines=tuple(_credit_line(line) for line in body.lines), credit_amount=body.credit_amount,
                         out_of_band_amount=body.out_of_band_amount)
