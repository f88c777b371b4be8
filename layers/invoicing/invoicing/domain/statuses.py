"""An invoice's statuses, apart from the invoice itself: the list filter (`services.ports.InvoiceFilter`)
needs them at runtime, and a function that never touches an invoice (the usage worker) should not
import the invoice model for that."""

from __future__ import annotations

from typing import Literal

InvoiceStatus = Literal["draft", "open", "paid", "void", "uncollectible"]
