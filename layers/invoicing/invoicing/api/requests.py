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
from typing import Annotated, Literal

from pydantic import (
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonDict, JsonValue, SkipJsonSchema

from invoicing.api.command import Command
from invoicing.api.line_requests import (
    AllowanceReasonCode,
    ChargeReasonCode,
    ItemIn,
    ObjectIdIn,
    PrecedingInvoiceIn,
    line_references,
)
from invoicing.domain.code_lists import check_code, codes, listed
from invoicing.domain.corrective import COMMERCIAL_INVOICE, CORRECTIVE_INVOICE, InvoiceTypeCode
from invoicing.domain.credit_note import CreditLineRequest
from invoicing.domain.direct_debit import DirectDebitMandate, compact_creditor_id
from invoicing.domain.dunning import MAX_POLICIES, DunningPolicy
from invoicing.domain.errors import UnknownCurrency
from invoicing.domain.gross_price import net_unit_price
from invoicing.domain.invoice import TaxPointDateCode
from invoicing.domain.money import MAX_AMOUNT, normalize_currency, round_minor
from invoicing.domain.party import (
    EAS_CODES,
    EMAIL_PATTERN,
    MAX_BANK_ACCOUNTS,
    MAX_IDENTIFIERS,
    MAX_SEGMENTS,
    SUPPORTED_LOCALES,
    Address,
    BankAccount,
    Branding,
    Contact,
    Delivery,
    ElectronicAddress,
    Numbering,
    PartyIdentifier,
    Payee,
    ReviewSettings,
    Segment,
    SellerTexts,
    TaxRepresentative,
)
from invoicing.domain.payment_card import PaymentCard
from invoicing.domain.prepayment import MAX_PREPAYMENTS
from invoicing.domain.references import (
    MAX_SUPPORTING_DOCUMENTS,
    DocumentReferences,
    SupportingDocument,
    check_supporting_documents,
)
from invoicing.domain.schema_rules import at_most_one, exactly_one, given, none_of
from invoicing.domain.supply import CustomerType, SupplyType, TaxCode
from invoicing.domain.tax import TaxRate, TaxType, vatex_category
from invoicing.domain.totals import Charge, Discount
from invoicing.domain.xrechnung import EInvoiceProfile, compact_leitweg_id
from invoicing.services.commands import Changes, NewCreditNote, NewInvoice, NewLine, PaymentVatDetails, TaxIdInput
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
EMAIL = re.compile(EMAIL_PATTERN)


# An update's field that always has a value: left out, it is unchanged; `null` is refused (400), so
# the document does not offer it (pydantic's SkipJsonSchema leaves `None` out of the field's schema).
NotNull = SkipJsonSchema[None]


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


LEITWEG_ID_DESCRIPTION = ("A German public buyer's Leitweg-ID (coarse-fine-check digits, ISO/IEC 7064 MOD 97-10 "
                          "checked): the buyer reference (BT-10) of its invoices unless an invoice gives its own")


def _leitweg_id(value: str | None) -> str | None:
    return None if value is None else compact_leitweg_id(value)


def _locale(value: str | None) -> str | None:
    if value is not None and value not in SUPPORTED_LOCALES:
        raise ValueError(f"must be one of {', '.join(SUPPORTED_LOCALES)}")
    return value


class TaxIdIn(Command):
    type: Literal["eu_vat", "gb_vat", "no_vat", "ch_vat", "au_abn", "nz_gst", "in_gst", "ca_bn", "us_ein"]
    value: str = Field(min_length=2, max_length=40)


class BuyerDetailsIn(Command):
    """The EN 16931 buyer details of a customer (issue 12); on an update, null clears one."""

    contact: Contact | None = Field(default=None, description="BG-9: the buyer's contact")
    identifier: PartyIdentifier | None = Field(default=None, description="BT-46 with its ISO/IEC 6523 scheme")
    trading_name: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(default=None, description="BT-45")
    legal_registration_id: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="BT-47")
    delivery: Delivery | None = Field(default=None, description="BG-13: where its supplies go by default")
    direct_debit: DirectDebitMandate | None = Field(
        default=None, description="BG-19: the customer's SEPA direct debit mandate (reference, IBAN debited): its "
                                  "invoices in euro are collected under it, payment means 59")
    payment_card: PaymentCard | None = Field(
        default=None, description="BG-18: the card its charge_automatically invoices are charged to: the last 4 to 6 "
                                  "digits (never the full number), the holder's name and the kind (credit 54, debit "
                                  "55, card 48); a direct_debit mandate takes precedence")


class CustomerCreate(BuyerDetailsIn):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=254)
    address: Address | None = None
    tax_ids: list[TaxIdIn] = Field(default_factory=list, max_length=5)
    tax_exempt: Literal["none", "exempt", "reverse"] = "none"
    customer_type: CustomerType | None = Field(
        default=None, description="business or individual; unset, a customer with a tax ID is a business")
    locale: str = "en"
    currency: str = "EUR"
    invoice_prefix: str | None = Field(default=None, pattern=r"^[A-Z0-9][A-Z0-9-]{0,11}$")
    default_payment_method: str | None = Field(default=None, max_length=100)
    stripe_customer_id: str | None = Field(
        default=None, max_length=100, pattern=r"^cus_[A-Za-z0-9]+$",
        description="The customer at Stripe whose saved payment method `default_payment_method` is: charge retries "
                    "of charge_automatically invoices name it (docs/payments.md)")
    einvoice_format: Literal["pdf", "facturx", "ubl", "cii"] = "facturx"
    einvoice_profile: EInvoiceProfile = Field(
        default="en16931", description="The rules its e-invoices follow: en16931 (Peppol BIS 3.0 UBL, Factur-X CII), "
                                       "or xrechnung (XRechnung 3.0: BT-24, the BR-DE rules checked at finalization)")
    leitweg_id: str | None = Field(default=None, max_length=46, description=LEITWEG_ID_DESCRIPTION,
                                   examples=["04011000-1234512345-06"])
    electronic_address: ElectronicAddress | None = None
    metadata: Metadata = Field(default_factory=dict, max_length=50)
    segments: list[Segment] = Field(default_factory=list, max_length=MAX_SEGMENTS,
                                    description="Tags (lowercase letters, digits, - and _) runs and reviews filter on")
    test_clock: str | None = Field(default=None, max_length=64,
                                   description="Sandbox only: the test clock the customer and its subscriptions follow")

    _check_segments = field_validator("segments")(classmethod(lambda cls, v: _distinct(v)))

    _check_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))
    _check_currency = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))
    _check_locale = field_validator("locale")(classmethod(lambda cls, v: _locale(v)))
    _check_address = field_validator("electronic_address")(classmethod(lambda cls, v: _electronic_address(v)))
    _check_leitweg_id = field_validator("leitweg_id")(classmethod(lambda cls, v: _leitweg_id(v)))


class CustomerUpdate(BuyerDetailsIn):
    """Only the fields present are changed."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | NotNull = None
    email: str | None = Field(default=None, max_length=254)
    address: Address | None = None
    tax_ids: Annotated[list[TaxIdIn], Field(max_length=5)] | NotNull = None
    tax_exempt: Literal["none", "exempt", "reverse"] | NotNull = None
    customer_type: CustomerType | None = Field(
        default=None, description="business or individual; null: decided from its tax IDs")
    locale: str | NotNull = None
    currency: str | NotNull = None
    invoice_prefix: str | None = Field(default=None, pattern=r"^[A-Z0-9][A-Z0-9-]{0,11}$")
    default_payment_method: str | None = Field(default=None, max_length=100)
    stripe_customer_id: str | None = Field(
        default=None, max_length=100, pattern=r"^cus_[A-Za-z0-9]+$",
        description="The customer at Stripe whose saved payment method `default_payment_method` is: charge retries "
                    "of charge_automatically invoices name it (docs/payments.md)")
    einvoice_format: Literal["pdf", "facturx", "ubl", "cii"] | NotNull = None
    einvoice_profile: EInvoiceProfile | NotNull = Field(default=None, description="en16931 or xrechnung")
    leitweg_id: str | None = Field(default=None, max_length=46, description=LEITWEG_ID_DESCRIPTION + "; null clears it")
    electronic_address: ElectronicAddress | None = None
    metadata: Annotated[Metadata, Field(max_length=50)] | NotNull = None
    segments: Annotated[list[Segment], Field(max_length=MAX_SEGMENTS)] | NotNull = Field(
        default=None, description="Replaced as a whole; [] clears them")

    _check_segments = field_validator("segments")(classmethod(lambda cls, v: _distinct(v)))

    _check_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))
    _check_currency = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))
    _check_locale = field_validator("locale")(classmethod(lambda cls, v: _locale(v)))
    _check_address = field_validator("electronic_address")(classmethod(lambda cls, v: _electronic_address(v)))
    _check_leitweg_id = field_validator("leitweg_id")(classmethod(lambda cls, v: _leitweg_id(v)))


class DiscountIn(Command):
    model_config = ConfigDict(json_schema_extra={"allOf": [exactly_one("percent_off", "amount_off")]})

    description: str | None = Field(default=None, max_length=200)
    percent_off: DecimalText | None = Field(default=None, gt=0, le=100, decimal_places=4)
    amount_off: MinorUnits | None = None
    reason_code: AllowanceReasonCode = None

    @model_validator(mode="after")
    def _one_kind(self) -> DiscountIn:
        if (self.percent_off is None) == (self.amount_off is None):
            raise ValueError("give exactly one of percent_off or amount_off")
        return self


class ChargeIn(Command):
    """A charge (shipping, handling, a fee) on a line or the invoice: a percentage or an amount."""

    model_config = ConfigDict(json_schema_extra={"allOf": [exactly_one("percent", "amount")]})

    description: str = Field(min_length=1, max_length=200)
    percent: DecimalText | None = Field(default=None, gt=0, le=1000, decimal_places=4)
    amount: MinorUnits | None = None
    reason_code: ChargeReasonCode = None

    @model_validator(mode="after")
    def _one_kind(self) -> ChargeIn:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give exactly one of percent or amount")
        return self


def _vatex_fits_category() -> JsonDict:
    """`TaxRateIn._code_fits` as JSON Schema: an exemption reason code is given on a VAT rate whose
    category is the code's own (and so never on S or Z, the default category)."""
    by_category: dict[str, list[JsonValue]] = {}
    for code in sorted(codes("vatex")):
        by_category.setdefault(vatex_category(code), []).append(code)
    return {"if": given("exemption_reason_code"),
            "then": {"required": ["category"], "properties": {"tax_type": {"const": "vat"}},
                     "allOf": [{"if": {"properties": {"exemption_reason_code": {"enum": members}}},
                                "then": {"properties": {"category": {"const": category}}}}
                               for category, members in by_category.items()]}}


class TaxRateIn(Command):
    """A manual tax rate (GST, sales tax, anything the automatic EU VAT rules do not cover)."""

    model_config = ConfigDict(json_schema_extra={"allOf": [_vatex_fits_category()]})

    percent: DecimalText = Field(ge=0, le=100, decimal_places=4)
    name: str = Field(default="Tax", min_length=1, max_length=40)
    category: Literal["S", "Z", "E", "AE", "G", "O", "K"] = "S"
    exemption_reason: str | None = Field(default=None, max_length=300)
    exemption_reason_code: str | None = Field(
        default=None, max_length=40, json_schema_extra=listed("vatex"), examples=["VATEX-EU-132-1B"],
        description="BT-121: the VAT exemption reason code of the CEF VATEX list, one that fits `category` "
                    "(VATEX-EU-AE for AE, -G for G, -IC for K, -O for O, any other for E; none for S and Z). "
                    "Left out: the category's code where it has one of its own")
    tax_type: TaxType = Field(default="vat", description="What kind of tax (Stripe's tax_type); only vat goes "
                                                         "into an EN 16931 e-invoice")
    jurisdiction: str | None = Field(default=None, min_length=1, max_length=60,
                                     description="Where the tax is levied (\"CA-QC\", \"US-WA-Seattle\")")
    compound: bool = Field(default=False, description="Computed on the line's net plus its other, non-compound "
                                                      "taxes (Quebec's QST before 2013, PEI's PST)")

    @model_validator(mode="after")
    def _code_fits(self) -> TaxRateIn:
        code = self.exemption_reason_code
        if code is None:
            return self
        check_code("vatex", code, "VAT exemption reason code")
        if self.tax_type != "vat":
            raise ValueError("exemption_reason_code is a VAT exemption's (BT-121): give it on a rate of tax_type vat")
        if self.category in ("S", "Z"):
            raise ValueError(f"a rate of category {self.category} states no exemption reason code "
                             f"(BR-{self.category}-10)")
        if vatex_category(code) != self.category:
            raise ValueError(f"{code} is stated with VAT category {vatex_category(code)}, not {self.category} "
                             "(the CEF VATEX code list)")
        return self

    def rate(self) -> TaxRate:
        return TaxRate(category=self.category, percent=self.percent, name=self.name,
                       exemption_reason=self.exemption_reason, tax_type=self.tax_type,
                       jurisdiction=self.jurisdiction, compound=self.compound,
                       exemption_code=self.exemption_reason_code)


MAX_STACKED_TAXES = 5  # a US state, county, city and district tax, and one more


def _tax_rates(rates: list[TaxRateIn] | None) -> tuple[TaxRate, ...]:
    return tuple(rate.rate() for rate in rates or ())


# --- invoice-level discounts and charges at a VAT rate (BT-95/BT-96, BT-102/BT-103) -----------------

_ADJUSTMENT_RATE = ("The VAT rate it is at (BT-95/BT-96, BT-102/BT-103): a percentage is computed on that rate's "
                    "lines. Left out: spread over the invoice's rates in proportion to their net amounts "
                    "(docs/api.md, \"Invoice discounts and charges\")")


def _vat_only(rate: TaxRateIn | None) -> TaxRateIn | None:
    if rate is not None and (rate.tax_type != "vat" or rate.compound):
        raise ValueError("an invoice discount or charge is at a VAT rate: tax_type vat, not compound")
    return rate


class InvoiceDiscountIn(DiscountIn):
    tax_rate: TaxRateIn | None = Field(default=None, description=_ADJUSTMENT_RATE)

    _check_rate = field_validator("tax_rate")(classmethod(lambda cls, v: _vat_only(v)))


class InvoiceChargeIn(ChargeIn):
    tax_rate: TaxRateIn | None = Field(default=None, description=_ADJUSTMENT_RATE)

    _check_rate = field_validator("tax_rate")(classmethod(lambda cls, v: _vat_only(v)))


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


_GROSS = ("gross_unit_amount", "gross_unit_amount_decimal")
_PRICE_DISCOUNT = ("price_discount", "price_discount_decimal")


class LineIn(Command):
    model_config = ConfigDict(json_schema_extra={"allOf": [
        # One unit price and no gross price or discount; or one gross price (BT-148), at most one price
        # discount (BT-147) and at most one unit price, which must then be their difference (checked by
        # _one_price: JSON Schema cannot say it). One "oneOf", a form schemathesis can generate from.
        {"oneOf": [{"allOf": [exactly_one("unit_amount", "unit_amount_decimal"), none_of(*_GROSS, *_PRICE_DISCOUNT)]},
                   {"allOf": [exactly_one(*_GROSS), at_most_one(*_PRICE_DISCOUNT),
                              at_most_one("unit_amount", "unit_amount_decimal")]}]},
        at_most_one("supply_date", "period"), at_most_one("tax_rate", "tax_rates")]})

    description: str = Field(min_length=1, max_length=500)
    quantity: DecimalText = Field(
        default=Decimal(1), ge=-10**9, le=10**9, decimal_places=6,
        description="Not 0; negative for a return, a deposit taken back or a correction (the unit price stays "
                    "positive): such a line counts at its own tax rate")
    unit_amount: MinorUnits | None = None
    unit_amount_decimal: DecimalText | None = Field(
        default=None, ge=0, le=MAX_AMOUNT, decimal_places=12,
        description="Unit price in minor units with up to 12 decimals, as a string (\"0.0125\")",
    )
    # The gross price and price discount the unit price follows from (domain/gross_price.py).
    gross_unit_amount: MinorUnits | None = Field(
        default=None, description="Gross (list) unit price before the price discount, in minor units (BT-148): "
                                  "the unit price is it less price_discount, exactly; give it alone or with "
                                  "that unit price")
    gross_unit_amount_decimal: DecimalText | None = Field(
        default=None, ge=0, le=MAX_AMOUNT, decimal_places=12,
        description="gross_unit_amount with up to 12 decimals, as a string")
    price_discount: MinorUnits | None = Field(
        default=None, description="Taken off each unit's gross price, in minor units (BT-147); at most the gross "
                                  "price; needs gross_unit_amount")
    price_discount_decimal: DecimalText | None = Field(
        default=None, ge=0, le=MAX_AMOUNT, decimal_places=12,
        description="price_discount with up to 12 decimals, as a string")
    unit_code: str = Field(default="C62", pattern=r"^[A-Z0-9]{1,3}$", description="UN/ECE Recommendation 20 unit")
    tax_code: TaxCode = Field(
        default="standard",
        description="A rate tier of the dated rate file in the country whose VAT applies (standard, reduced, "
                    "second_reduced, super_reduced, parking), or zero_rated, exempt; ignored with a tax_rate")
    tax_rate: TaxRateIn | None = None
    tax_rates: list[TaxRateIn] | None = Field(
        default=None, min_length=1, max_length=MAX_STACKED_TAXES,
        description="Several taxes on the line, each over the line's net (GST and QST; a state's, county's and "
                    "city's sales tax); instead of tax_rate")
    supply_type: SupplyType | None = Field(
        default=None, description="goods, services, electronic_services or professional_services; default the "
                                  "invoice's, else the account's default_supply_type")
    discounts: list[DiscountIn] = Field(default_factory=list, max_length=5)
    charges: list[ChargeIn] = Field(default_factory=list, max_length=5)
    supply_date: date | None = Field(default=None, description="When this line was supplied (or give `period`)")
    period: PeriodIn | None = Field(default=None, description="The service period this line covers")
    # Item information and the line's references (api/line_requests.py; docs/api.md, "Item and references").
    item: ItemIn | None = Field(default=None, description="Item ids, classification, origin, attributes (BG-31)")
    line_identifier: str | None = Field(
        default=None, min_length=1, max_length=50,
        description="BT-126 as you number your lines (\"10\", \"A-2\"), each once on the invoice; default the "
                    "line's position")
    note: str | None = Field(default=None, min_length=1, max_length=500, description="Line note (BT-127)")
    order_line_reference: str | None = Field(default=None, min_length=1, max_length=100,
                                             description="The buyer's purchase-order line (BT-132)")
    object_id: ObjectIdIn | None = Field(default=None, description="What the line invoices (BT-128)")
    accounting_reference: str | None = Field(default=None, min_length=1, max_length=100,
                                             description="The buyer's accounting reference for the line (BT-133)")

    @model_validator(mode="after")
    def _one_price(self) -> LineIn:
        for first, second in (("unit_amount", "unit_amount_decimal"), _GROSS, _PRICE_DISCOUNT):
            if getattr(self, first) is not None and getattr(self, second) is not None:
                raise ValueError(f"give at most one of {first} (integer minor units) or {second}")
        if self.quantity == 0:
            raise ValueError("quantity must not be 0 (a negative quantity is a return or a deduction)")
        if abs(round_minor(self.quantity * self.unit_price)) > MAX_AMOUNT:
            raise ValueError(f"quantity x unit price comes to more than {MAX_AMOUNT} minor units, the most an "
                             "amount may be")
        _check_supply(self.supply_date, self.period)
        if self.tax_rate is not None and self.tax_rates is not None:
            raise ValueError("give tax_rate (one tax) or tax_rates (stacked taxes), not both")
        return self

    @property
    def gross_unit_amount_decimal_given(self) -> Decimal | None:
        return _either(self.gross_unit_amount, self.gross_unit_amount_decimal)

    @property
    def price_discount_decimal_given(self) -> Decimal | None:
        return _either(self.price_discount, self.price_discount_decimal)

    @property
    def unit_price(self) -> Decimal:
        """The net unit price (BT-146): as given, or the gross price less the price discount."""
        return net_unit_price(_either(self.unit_amount, self.unit_amount_decimal),
                              self.gross_unit_amount_decimal_given, self.price_discount_decimal_given)


def _either(minor: int | None, decimal: Decimal | None) -> Decimal | None:
    """An amount given in integer minor units or as a decimal string, as a Decimal (None: neither)."""
    return Decimal(minor) if minor is not None else decimal


class PrepaymentIn(Command):
    """A paid prepayment invoice of the same customer and currency, and how much of it to deduct."""

    invoice: str = Field(min_length=1, max_length=64, description="The prepayment invoice's id (in_…)")
    amount: Annotated[StrictInt, Field(ge=1, le=MAX_AMOUNT)] | None = Field(
        default=None, description="Minor units, VAT included; default: all of it not yet deducted")


class InvoiceCreate(Command):
    model_config = ConfigDict(json_schema_extra={"allOf": [
        at_most_one("tax_point_date", "tax_point_date_code"),
        {"if": {"required": ["type_code"], "properties": {"type_code": {"const": CORRECTIVE_INVOICE}}},
         "then": given("preceding_invoice")}]})

    customer: str = Field(min_length=1, max_length=64, description="The customer's id (cus_...)")
    currency: str | None = None
    collection_method: Literal["send_invoice", "charge_automatically"] = "send_invoice"
    days_until_due: StrictInt | None = Field(default=None, ge=0, le=365)
    due_date: date | None = None
    supply_date: date | None = Field(default=None, description="The actual date of supply (BT-72); with a period, "
                                                               "the day the goods were delivered in it")
    period: PeriodIn | None = Field(default=None, description="The invoicing period (BG-14)")
    tax_behavior: Literal["exclusive", "inclusive"] = "exclusive"
    supply_type: SupplyType | None = Field(
        default=None, description="What the lines supply unless they say: default the account's default_supply_type")
    description: str | None = Field(default=None, max_length=1000, description="A memo printed above the lines")
    footer: str | None = Field(default=None, max_length=500, description="Replaces the account's footer")
    buyer_reference: str | None = Field(default=None, max_length=100)
    purchase_order: str | None = Field(default=None, max_length=100)
    lines: list[LineIn] = Field(default_factory=list, max_length=MAX_LINES)
    discounts: list[InvoiceDiscountIn] = Field(default_factory=list, max_length=5)
    charges: list[InvoiceChargeIn] = Field(default_factory=list, max_length=5)
    metadata: Metadata = Field(default_factory=dict, max_length=50)
    # A corrective invoice (BT-3 384) and the invoice it corrects (BG-3): domain/corrective.py.
    type_code: InvoiceTypeCode = Field(
        default=COMMERCIAL_INVOICE, description="380 commercial invoice; 384 corrective invoice, which names the "
                                                "preceding_invoice it corrects and may come to less than zero")
    preceding_invoice: PrecedingInvoiceIn | None = Field(default=None, description="The invoice corrected (BG-3)")
    # --- payment and VAT details (docs/einvoicing.md "Payment", "VAT details") ---
    payment_terms: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)] | None = \
        Field(default=None, description="BT-20 of this invoice, in place of the account's payment terms")
    remittance_information: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1,
                                                             max_length=140)] | None = Field(
        default=None, description="What the payer quotes (BT-83), in place of the RF reference (or the OCR number)")
    tax_point_date: date | None = Field(
        default=None, description="BT-7: the date VAT became chargeable, where it is not the issue date")
    tax_point_date_code: TaxPointDateCode | None = Field(
        default=None, description="BT-8 (UNCL 2005), instead of tax_point_date: VAT is due on the invoice date "
                                  "(3), the delivery date (35) or payment (432)")
    tax_currency_rate: TaxCurrencyRateIn | None = Field(
        default=None, description="For an invoice not in the seller's national currency: the rate its VAT is also "
                                  "stated at in that currency (BT-6, Directive 2006/112/EC Art. 230)")
    prepayment: bool = Field(default=False, description="A prepayment invoice (BT-3 386): VAT on the advance")
    prepayments: list[PrepaymentIn] = Field(
        default_factory=list, max_length=MAX_PREPAYMENTS,
        description="A final invoice: the paid prepayment invoices it deducts (BT-113, each named in BG-3)")
    # --- end of the payment and VAT details ---
    # EN 16931 details (issue 12; docs/einvoicing.md, "References and supporting documents").
    references: DocumentReferences | None = Field(
        default=None, description="Documents the invoice refers to: project, contract, sales order, advices, "
                                  "tender, invoiced object, the buyer's accounting reference (BT-11 .. BT-19)")
    supporting_documents: list[SupportingDocument] = Field(
        default_factory=list, max_length=MAX_SUPPORTING_DOCUMENTS,
        description="BG-24: references with a description, URLs, or small files (docs/einvoicing.md)")
    delivery: Delivery | None = Field(default=None, description="BG-13; default the customer's delivery")
    buyer_contact: Contact | None = Field(default=None, description="BG-9; default the customer's contact")
    payee: Payee | None = Field(default=None, description="BG-10; default the account's payee (none: the seller)")

    _check_currency = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))
    _check_documents = field_validator("supporting_documents")(
        classmethod(lambda cls, v: check_supporting_documents(v)))

    @model_validator(mode="after")
    def _consistent(self) -> InvoiceCreate:
        if self.type_code == CORRECTIVE_INVOICE and self.preceding_invoice is None:
            raise ValueError("a corrective invoice (type_code 384) names the preceding_invoice it corrects (BG-3)")
        if self.tax_point_date is not None and self.tax_point_date_code is not None:
            raise ValueError("give tax_point_date or tax_point_date_code, not both (EN 16931 BR-CO-03)")
        return self


class TaxCurrencyRateIn(Command):
    """The exchange rate into the seller's national currency, as the seller took it (Art. 91(2): the
    member state's representative market rate or the ECB's, when VAT became chargeable)."""

    rate: DecimalText = Field(gt=0, le=10**9, decimal_places=12,
                              description="Units of `currency` for one unit of the invoice's currency, as a "
                                          "decimal string (\"11.4523\")")
    currency: str | None = Field(default=None, description="The national currency (BT-6); default the "
                                                           "currency of the account's country")
    source: str | None = Field(default=None, min_length=1, max_length=100,
                               description="Where the rate is from, printed beside it (\"ECB reference rate\")")
    rate_date: date | None = Field(default=None, description="The date the rate is of")

    _check_currency = field_validator("currency")(classmethod(lambda cls, v: _currency(v)))


class InvoiceLinesAdd(Command):
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)


class CreditNoteLineIn(Command):
    """A credit note line, as Stripe's: an invoice line (all that remains of it, a `quantity` or an
    `amount` of it) or a custom line (description, quantity, unit price, one of the invoice's rates).
    Amounts are in the invoice's price terms: excluding VAT, or including it for tax-inclusive prices."""

    model_config = ConfigDict(json_schema_extra={"allOf": [at_most_one("unit_amount", "unit_amount_decimal")]})

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
    tax_rates: list[TaxRateIn] | None = Field(default=None, min_length=1, max_length=MAX_STACKED_TAXES,
                                              description="Custom lines: several of the invoice's taxes, stacked")

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
    refund_amount: SkipJsonSchema[MinorUnits | None] = Field(
        default=None, description="Not supported: see out_of_band_amount")

    @field_validator("refund_amount")
    @classmethod
    def _no_refunds(cls, value: int | None) -> int | None:
        if value:
            raise ValueError("refunds through a payment provider are not made here; record a refund made "
                             "elsewhere as out_of_band_amount")
        return value


class AccountUpdate(Command):
    """The seller's details, branding and numbering. Only the fields present are changed."""

    name: Annotated[str, Field(min_length=1, max_length=200)] | NotNull = None
    email: str | None = Field(default=None, max_length=254)
    phone: str | None = Field(default=None, max_length=40)
    website: str | None = Field(default=None, max_length=200)
    address: Address | None = None
    tax_ids: Annotated[list[TaxIdIn], Field(max_length=5)] | NotNull = None
    iban: str | None = Field(default=None, max_length=42)
    bic: str | None = Field(default=None, max_length=11)
    bankgiro: str | None = Field(default=None, max_length=12, description="Bankgiro number, e.g. 5402-9681")
    plusgiro: str | None = Field(default=None, max_length=14, description="Plusgiro number, e.g. 4 78 12-3")
    bank_accounts: Annotated[list[BankAccount], Field(max_length=MAX_BANK_ACCOUNTS)] | NotNull = Field(
        default=None, description="Further accounts paid into by credit transfer (after iban), each with its "
                                  "IBAN, BIC and currency; replaced as a whole, [] removes them")
    remittance_reference: Literal["rf", "ocr"] | NotNull = Field(
        default=None, description="What invoices give the payer to quote (BT-83): rf (default) or ocr")
    legal_registration_id: str | None = Field(default=None, max_length=100,
                                              description="Company registration number (EN 16931 BT-30)")
    electronic_address: ElectronicAddress | None = None
    default_currency: str | NotNull = None
    default_locale: str | NotNull = None
    days_until_due: Annotated[StrictInt, Field(ge=0, le=365)] | NotNull = None
    payment_terms: str | None = Field(default=None, max_length=300,
                                      description="In every language: used where `texts` gives none")
    texts: SellerTexts | None = Field(default=None, description=(
        "Message, payment terms and footer per language (`en`, `sv`, `de`) with a `default_language` "
        "as the fallback; replaced as a whole, null clears it"))
    branding: Branding | NotNull = None
    numbering: Numbering | NotNull = None
    default_supply_type: SupplyType | NotNull = Field(
        default=None, description="What lines supply unless they or their invoice say (docs/tax.md)")
    oss_registered: bool | NotNull = Field(
        default=None, description="Registered for the EU One-Stop Shop: needs an EU address and VAT number")
    review: ReviewSettings | NotNull = Field(default=None, description=(
        "Review before sending: `held_segments` (their billing-run invoices wait as drafts) and "
        "`auto_finalize_after_minutes` (default 60)"))
    dunning_policies: Annotated[list[DunningPolicy], Field(max_length=MAX_POLICIES)] | NotNull = Field(
        default=None, description="Dunning per customer segment (docs/dunning.md): replaced as a whole; [] turns "
                                  "dunning off")
    # EN 16931 seller details (issue 12); null clears one.
    contact: Contact | None = Field(default=None, description="BG-6: the seller's contact (name, phone, email)")
    identifiers: Annotated[list[PartyIdentifier], Field(max_length=MAX_IDENTIFIERS)] | NotNull = Field(
        default=None, description="BT-29: seller identifiers with their ISO/IEC 6523 scheme; replaced as a whole")
    trading_name: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(default=None, description="BT-28")
    additional_legal_info: Annotated[str, Field(min_length=1, max_length=300)] | None = Field(
        default=None, description="BT-33, printed on the PDF too: \"Godkänd för F-skatt\", a Handelsregister entry")
    tax_representative: TaxRepresentative | None = Field(default=None, description="BG-11")
    payee: Payee | None = Field(default=None, description="BG-10: who is paid, when not the seller")
    sepa_creditor_id: str | None = Field(
        default=None, max_length=35, description="BT-90: the SEPA creditor identifier direct debits are collected "
                                                 "under (DE98ZZZ09999999999, check digits verified)")

    _check_creditor_id = field_validator("sepa_creditor_id")(
        classmethod(lambda cls, v: None if v is None else compact_creditor_id(v)))
    _check_email = field_validator("email")(classmethod(lambda cls, v: _email(v)))
    _check_currency = field_validator("default_currency")(classmethod(lambda cls, v: _currency(v)))
    _check_locale = field_validator("default_locale")(classmethod(lambda cls, v: _locale(v)))
    _check_address = field_validator("electronic_address")(classmethod(lambda cls, v: _electronic_address(v)))


# --- bodies -> commands ---------------------------------------------------------------------------

def _discount(d: DiscountIn) -> Discount:
    rate = getattr(d, "tax_rate", None)  # invoice-level discounts only
    return Discount(description=d.description, percent_off=d.percent_off, amount_off=d.amount_off,
                    reason_code=d.reason_code, tax_rate=_vat_rate(rate))


def _charge(c: ChargeIn) -> Charge:
    rate = getattr(c, "tax_rate", None)  # invoice-level charges only
    return Charge(description=c.description, percent=c.percent, amount=c.amount, reason_code=c.reason_code,
                  tax_rate=_vat_rate(rate))


def _vat_rate(rate: TaxRateIn | None) -> TaxRate | None:
    """An invoice discount's or charge's VAT rate: its category and percentage (the same tax as the
    lines' of that category and rate, whatever name they give it)."""
    if rate is None:
        return None
    return TaxRate(category=rate.category, percent=rate.percent, exemption_reason=rate.exemption_reason)


def new_line(line: LineIn) -> NewLine:
    return NewLine(
        description=line.description, quantity=line.quantity, unit_amount_decimal=line.unit_price,
        gross_unit_amount_decimal=line.gross_unit_amount_decimal_given,
        price_discount_decimal=line.price_discount_decimal_given, unit_code=line.unit_code, tax_code=line.tax_code,
        tax_rate=line.tax_rate.rate() if line.tax_rate else None, tax_rates=_tax_rates(line.tax_rates),
        discounts=tuple(_discount(d) for d in line.discounts), charges=tuple(_charge(c) for c in line.charges),
        supply_date=line.supply_date, supply_type=line.supply_type,
        period_start=line.period.start if line.period else None, period_end=line.period.end if line.period else None,
        item=line.item.item() if line.item else None,
        references=line_references(line.note, line.order_line_reference, line.object_id, line.accounting_reference,
                                   line_identifier=line.line_identifier),
    )


def new_invoice(body: InvoiceCreate) -> NewInvoice:
    return NewInvoice(
        customer_id=body.customer, lines=tuple(new_line(line) for line in body.lines), currency=body.currency,
        collection_method=body.collection_method, days_until_due=body.days_until_due, due_date=body.due_date,
        supply_date=body.supply_date, period_start=body.period.start if body.period else None,
        period_end=body.period.end if body.period else None,
        tax_behavior=body.tax_behavior, supply_type=body.supply_type, description=body.description,
        footer=body.footer,
        buyer_reference=body.buyer_reference, purchase_order=body.purchase_order,
        discounts=tuple(_discount(d) for d in body.discounts), charges=tuple(_charge(c) for c in body.charges),
        metadata=body.metadata,
        type_code=body.type_code,
        preceding_invoice=body.preceding_invoice.reference() if body.preceding_invoice else None,
        payment_vat=_payment_vat(body),
        references=body.references, supporting_documents=tuple(body.supporting_documents),
        delivery=body.delivery, buyer_contact=body.buyer_contact, payee=body.payee,
        prepayments=tuple((p.invoice, p.amount) for p in body.prepayments),
    )


def _payment_vat(body: InvoiceCreate) -> PaymentVatDetails:
    rate = body.tax_currency_rate
    return PaymentVatDetails(
        payment_terms=body.payment_terms, remittance_information=body.remittance_information,
        tax_point_date=body.tax_point_date, tax_point_date_code=body.tax_point_date_code,
        tax_currency_rate=rate.rate if rate else None, tax_currency=rate.currency if rate else None,
        tax_currency_source=rate.source if rate else None, tax_currency_date=rate.rate_date if rate else None,
        prepayment=body.prepayment)


def new_lines(body: InvoiceLinesAdd) -> list[NewLine]:
    return [new_line(line) for line in body.lines]


def _tax_ids(tax_ids: list[TaxIdIn] | None) -> list[TaxIdInput] | None:
    return None if tax_ids is None else [TaxIdInput(type=t.type, value=t.value) for t in tax_ids]


def _distinct(segments: list[str] | None) -> list[str] | None:
    if segments is not None and len(set(segments)) != len(segments):
        raise ValueError("segments must be distinct")
    return segments


def new_customer(body: CustomerCreate) -> Changes:
    return Changes(fields=body.model_dump(exclude={"tax_ids"}), tax_ids=_tax_ids(body.tax_ids))


def changes(body: CustomerUpdate | AccountUpdate) -> Changes:
    """Only the fields the body names change."""
    present = body.model_fields_set
    return Changes(fields={name: getattr(body, name) for name in present if name != "tax_ids"},
                   tax_ids=_tax_ids(body.tax_ids) if "tax_ids" in present else None)


def _credit_line(line: CreditNoteLineIn) -> CreditLineRequest:
    unit = Decimal(line.unit_amount) if line.unit_amount is not None else line.unit_amount_decimal
    return CreditLineRequest(
        type=line.type, invoice_line_item=line.invoice_line_item, quantity=line.quantity, amount=line.amount,
        description=line.description, unit_amount_decimal=unit, unit_code=line.unit_code,
        tax_rate=line.tax_rate.rate() if line.tax_rate else None, tax_rates=_tax_rates(line.tax_rates),
    )


def new_credit_note(body: CreditNoteCreate) -> NewCreditNote:
    return NewCreditNote(invoice_id=body.invoice, amount=body.amount, reason=body.reason, memo=body.memo,
                         lines=tuple(_credit_line(line) for line in body.lines), credit_amount=body.credit_amount,
                         out_of_band_amount=body.out_of_band_amount)
