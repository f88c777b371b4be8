"""How objects look in the API: Stripe-like, snake_case, integer minor units, ISO 8601 times."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from invoicing.domain.credit_note import CreditNote
from invoicing.domain.dunning import is_overdue
from invoicing.domain.events import DomainEvent
from invoicing.domain.invoice import Invoice, InvoiceLine
from invoicing.domain.party import Account, Customer
from invoicing.domain.totals import Charge, Discount
from invoicing.services.invoices import DocumentLink, InvoiceView
from invoicing.services.ports import Page


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def decimal_text(value: Decimal | None) -> str | None:
    """Decimals travel as strings, without exponent or needless trailing zeros."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def account_view(account: Account) -> dict[str, Any]:
    data = account.model_dump(mode="json")
    data["created"] = iso(account.created)
    return data


def customer_view(customer: Customer) -> dict[str, Any]:
    data = customer.model_dump(mode="json", exclude={"account_id", "version"})
    data["created"] = iso(customer.created)
    return data


def _discount(d: Discount) -> dict[str, Any]:
    return {"description": d.description, "percent_off": decimal_text(d.percent_off), "amount_off": d.amount_off}


def _charge(c: Charge) -> dict[str, Any]:
    return {"description": c.description, "percent": decimal_text(c.percent), "amount": c.amount}


def _iso_date(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _period(start: date | None, end: date | None) -> dict[str, str] | None:
    return {"start": start.isoformat(), "end": end.isoformat()} if start and end else None


def _line(line: InvoiceLine) -> dict[str, Any]:
    return {
        "id": line.id,
        "object": "line_item",
        "description": line.description,
        "quantity": decimal_text(line.quantity),
        "unit_amount_decimal": decimal_text(line.unit_amount_decimal),
        "unit_code": line.unit_code,
        "tax_code": line.tax_code,
        "tax": line.tax.model_dump(mode="json") if line.tax else None,
        "discounts": [_discount(d) for d in line.discounts],
        "charges": [_charge(c) for c in line.charges],
        "supply_date": _iso_date(line.supply_date),
        "period": _period(line.period_start, line.period_end),
        "amount": line.amount,
        "discount_amount": line.discount_amount,
        "charge_amount": line.charge_amount,
        "net_amount": line.net_amount,
    }


def invoice_view(view: InvoiceView, today: date | None = None) -> dict[str, Any]:
    """`overdue` is derived, never stored (domain.dunning.is_overdue): open, past its due date on `today`."""
    inv: Invoice = view.invoice
    totals = inv.totals
    return {
        "id": inv.id,
        "object": "invoice",
        "number": inv.number,
        "status": inv.status,
        "overdue": today is not None and is_overdue(inv.status, inv.due_date, inv.amount_remaining, today),
        "customer": inv.customer_id,
        "currency": inv.currency,
        "collection_method": inv.collection_method,
        "tax_behavior": inv.tax_behavior,
        "description": inv.description,
        "footer": inv.footer,
        "buyer_reference": inv.buyer_reference,
        "purchase_order": inv.purchase_order,
        "payment_reference": inv.payment_reference,
        "ocr_reference": inv.ocr_reference,
        "issue_date": inv.issue_date.isoformat() if inv.issue_date else None,
        "due_date": inv.due_date.isoformat() if inv.due_date else None,
        "days_until_due": inv.days_until_due,
        "supply_date": _iso_date(inv.supply_date),
        "period": _period(inv.period_start, inv.period_end),
        "lines": {"object": "list", "data": [_line(line) for line in inv.lines], "has_more": False},
        "discounts": [_discount(d) for d in inv.discounts],
        "charges": [_charge(c) for c in inv.charges],
        "subtotal": totals.subtotal if totals else 0,
        "total_discount_amount": totals.discount_amount if totals else 0,
        "total_charge_amount": totals.charge_amount if totals else 0,
        "total_excluding_tax": totals.total_excluding_tax if totals else 0,
        "tax": totals.tax if totals else 0,
        "total": totals.total if totals else 0,
        "tax_breakdown": [
            {
                "category": g.category,
                "percent": decimal_text(g.percent),
                "name": g.name,
                "exemption_reason": g.exemption_reason,
                "taxable_amount": g.taxable_amount,
                "tax_amount": g.tax_amount,
            }
            for g in (totals.tax_groups if totals else ())
        ],
        "applied_balance": inv.applied_balance,
        "amount_due": inv.amount_due,
        "amount_paid": inv.amount_paid,
        "amount_remaining": inv.amount_remaining,
        "pre_payment_credit_notes_amount": inv.pre_payment_credit_notes_amount,
        "post_payment_credit_notes_amount": inv.post_payment_credit_notes_amount,
        "validation_issues": [i.model_dump() for i in view.validation_issues],
        "status_transitions": {k: iso(v) for k, v in inv.status_transitions.model_dump().items()},
        "metadata": inv.metadata,
        "created": iso(inv.created),
    }


def credit_note_view(note: CreditNote, *, preview: bool = False) -> dict[str, Any]:
    """A credit note; a preview has no id or number yet (nothing was issued)."""
    data = note.model_dump(mode="json", exclude={"account_id", "invoice_id", "customer_id"})
    data.update(invoice=note.invoice_id, customer=note.customer_id, created=iso(note.created),
                issue_date=note.issue_date.date().isoformat())
    for group in data["tax_groups"]:
        group["percent"] = decimal_text(Decimal(group["percent"]))
    data["lines"] = {"object": "list", "has_more": False, "data": [
        {**line.model_dump(mode="json", exclude={"quantity", "unit_amount_decimal", "tax"}),
         "id": None if preview else line.id,
         "quantity": decimal_text(line.quantity), "unit_amount_decimal": decimal_text(line.unit_amount_decimal),
         "tax": {**line.tax.model_dump(mode="json"), "percent": decimal_text(line.tax.percent)},
         "period": {"start": line.period_start.isoformat(), "end": line.period_end.isoformat()}
         if line.period_start and line.period_end else None}
        for line in note.lines]}
    for line in data["lines"]["data"]:
        line.pop("period_start", None)
        line.pop("period_end", None)
    if preview:
        data.update(id=None, number=None, object="credit_note", preview=True)
    return data


def event_view(event: DomainEvent) -> dict[str, Any]:
    """An event as the API and the bus show it (docs/events/ has its JSON Schema)."""
    return {"id": event.id, "object": "event", "type": event.type, "created": iso(event.created),
            "aggregate": event.aggregate, "aggregate_id": event.aggregate_id, "version": event.version,
            "data": event.data}


def link_view(link: DocumentLink) -> dict[str, Any]:
    return {"object": "file_link", "format": link.format, "url": link.url, "expires_in": link.expires_in,
            "ready": link.ready}


def list_view(page: Page[Any], render: Any, url: str) -> dict[str, Any]:
    return {"object": "list", "url": url, "data": [render(item) for item in page.data], "has_more": page.has_more}
