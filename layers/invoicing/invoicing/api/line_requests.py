"""The request bodies of a line's item information and references (EN 16931 BG-31, BG-32, BT-127 …
BT-133) and of a corrective invoice's preceding invoice (BG-3), and the reason codes of discounts
and charges (BT-98, BT-105): every field optional, every string limited, every code checked against
the list the CEN rules check (domain/code_lists.py), and a GTIN's check digit (domain/line_item.py).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from invoicing.api.command import Command
from invoicing.domain.code_lists import check_code, listed
from invoicing.domain.corrective import PrecedingInvoice
from invoicing.domain.line_item import (
    ItemAttribute,
    ItemClassification,
    LineItem,
    LineReferences,
    ObjectId,
    checked_standard_id,
)

MAX_CLASSIFICATIONS = 5
MAX_ATTRIBUTES = 20


def _allowance_code(value: str | None) -> str | None:
    return None if value is None else check_code("uncl5189", value, "discount reason code")


def _charge_code(value: str | None) -> str | None:
    return None if value is None else check_code("uncl7161", value, "charge reason code")


AllowanceReasonCode = Annotated[str | None, Field(
    min_length=1, max_length=3, json_schema_extra=listed("uncl5189"),
    description="UNCL 5189 allowance reason (BT-98 / BT-140): 95 discount, 100 special rebate, 64 special "
                "agreement … (docs/einvoicing.md); default 95"), AfterValidator(_allowance_code)]
ChargeReasonCode = Annotated[str | None, Field(
    min_length=1, max_length=3, json_schema_extra=listed("uncl7161"),
    description="UNCL 7161 charge reason (BT-105 / BT-145): FC freight, ABL packaging, SAE handling … "
                "(docs/einvoicing.md); default none"), AfterValidator(_charge_code)]


class StandardIdIn(Command):
    """BT-157: an id under a registered scheme; a GTIN (scheme 0160) must have a valid check digit."""

    value: str = Field(min_length=1, max_length=50)
    scheme: str = Field(default="0160", pattern=r"^[0-9]{4}$", json_schema_extra=listed("iso6523_icd"),
                        description="ISO 6523 ICD code (BT-157-1): 0160 GTIN (the default)")


class ClassificationIn(Command):
    """BT-158: a classification code under its UNTDID 7143 list (STI, HS, CV, TST, …)."""

    code: str = Field(min_length=1, max_length=50)
    list_id: str = Field(min_length=1, max_length=3, json_schema_extra=listed("uncl7143"),
                         description="UNTDID 7143 (BT-158-1): HS, STI, CV, TST …")
    list_version: str | None = Field(default=None, min_length=1, max_length=20, description="BT-158-2")

    @model_validator(mode="after")
    def _listed(self) -> ClassificationIn:
        check_code("uncl7143", self.list_id, "classification list")
        return self


class AttributeIn(Command):
    """BG-32: an attribute of the item ("Colour": "Blue")."""

    name: str = Field(min_length=1, max_length=100)
    value: str = Field(min_length=1, max_length=200)


class ObjectIdIn(Command):
    """BT-128: what the line invoices (a meter, a subscription, a serial number), under an UNTDID 1153
    scheme when it has one (AAG …)."""

    value: str = Field(min_length=1, max_length=100)
    scheme: str | None = Field(default=None, min_length=1, max_length=3, json_schema_extra=listed("uncl1153"),
                               description="UNTDID 1153 (BT-128-1)")

    @model_validator(mode="after")
    def _listed(self) -> ObjectIdIn:
        if self.scheme is not None:
            check_code("uncl1153", self.scheme, "reference scheme")
        return self


class ItemIn(Command):
    """A line's item information (BG-31): all optional."""

    description: str | None = Field(default=None, min_length=1, max_length=1000,
                                    description="A longer description than the line's (BT-154)")
    seller_item_id: str | None = Field(default=None, min_length=1, max_length=100, description="BT-155")
    buyer_item_id: str | None = Field(default=None, min_length=1, max_length=100, description="BT-156")
    standard_id: StandardIdIn | None = Field(default=None, description="BT-157, a GTIN by default")
    classifications: list[ClassificationIn] = Field(default_factory=list, max_length=MAX_CLASSIFICATIONS,
                                                    description="BT-158")
    origin_country: str | None = Field(default=None, pattern=r"^[A-Z0-9]{2}$",
                                       json_schema_extra=listed("iso3166_origin"),
                                       description="ISO 3166-1 alpha-2 (BT-159)")
    attributes: list[AttributeIn] = Field(default_factory=list, max_length=MAX_ATTRIBUTES, description="BG-32")

    @model_validator(mode="after")
    def _known_country(self) -> ItemIn:
        if self.origin_country is not None:
            check_code("iso3166_origin", self.origin_country, "country")
        return self

    def item(self) -> LineItem:
        standard = self.standard_id
        return LineItem(
            description=self.description, seller_item_id=self.seller_item_id, buyer_item_id=self.buyer_item_id,
            standard_id=checked_standard_id(standard.value, standard.scheme) if standard else None,
            classifications=tuple(ItemClassification(code=c.code, list_id=c.list_id, list_version=c.list_version)
                                  for c in self.classifications),
            origin_country=self.origin_country,
            attributes=tuple(ItemAttribute(name=a.name, value=a.value) for a in self.attributes),
        )

    @model_validator(mode="after")
    def _gtin(self) -> ItemIn:
        if self.standard_id is not None:
            checked_standard_id(self.standard_id.value, self.standard_id.scheme)
        return self


def line_references(note: str | None, order_line_reference: str | None, object_id: ObjectIdIn | None,
                    accounting_reference: str | None, *, line_identifier: str | None = None) -> LineReferences | None:
    if note is None and order_line_reference is None and object_id is None and accounting_reference is None \
            and line_identifier is None:
        return None
    return LineReferences(line_identifier=line_identifier, note=note, order_line_reference=order_line_reference,
                          object_id=ObjectId(value=object_id.value, scheme=object_id.scheme) if object_id else None,
                          accounting_reference=accounting_reference)


class PrecedingInvoiceIn(Command):
    """BG-3: the invoice a corrective invoice corrects, as it was issued (here or before)."""

    number: str = Field(min_length=1, max_length=100, description="BT-25")
    issue_date: date | None = Field(default=None, description="BT-26")

    def reference(self) -> PrecedingInvoice:
        return PrecedingInvoice(number=self.number, issue_date=self.issue_date)
