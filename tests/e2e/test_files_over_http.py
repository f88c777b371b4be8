"""An uploaded supporting document on the local stack, over HTTP: declared through the API emulator,
PUT to its presigned URL on moto's S3 server, named by an invoice, and found in the UBL (valid by the
official CEN rules) and the Factur-X PDF the document function rendered."""

from __future__ import annotations

import base64
import io
import urllib.request

import pytest
from lxml import etree
from pypdf import PdfReader

from invoicing.documents.einvoice.validation import validate
from local.client import ApiClient
from local.stack import LocalRuntime
from tests.e2e.test_einvoices_over_http import SWEDISH_SHOP, fetch

pytestmark = pytest.mark.e2e

# Larger than an inline attachment may be (48,000 bytes): about 100 KB of timesheet rows.
CSV = b"datum;timmar;uppdrag\n" + b"".join(f"2026-03-{d:02d};8;Integration\n".encode() for d in range(1, 29)) * 160
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def test_an_uploaded_file_reaches_the_ubl_and_the_pdf(stack: LocalRuntime, api: ApiClient) -> None:
    file = api.post("/files", {"filename": "timmar-mars.csv", "mime_code": "text/csv", "size": len(CSV)})
    request = urllib.request.Request(file["upload_url"], data=CSV, method="PUT",
                                     headers={"Content-Type": "text/csv", "Content-Length": str(len(CSV))})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    assert api.get(f"/files/{file['id']}")["status"] == "ready"

    customer = api.post("/customers", SWEDISH_SHOP)
    draft = api.post("/invoices", {"customer": customer["id"],
                                   "lines": [{"description": "Konsult", "unit_amount": 90000}],
                                   "supporting_documents": [{"id": "TIM-03", "file": file["id"]}]})
    final = api.post(f"/invoices/{draft['id']}/finalize")

    ubl = fetch(api, stack, f"/invoices/{final['id']}/einvoice?format=ubl")
    assert validate(ubl).ok, str(validate(ubl))
    (embedded,) = etree.fromstring(ubl).iter(f"{{{CBC}}}EmbeddedDocumentBinaryObject")
    assert base64.b64decode(embedded.text) == CSV and embedded.get("filename") == "timmar-mars.csv"
    pdf = fetch(api, stack, f"/invoices/{final['id']}/pdf")
    names = PdfReader(io.BytesIO(pdf)).trailer["/Root"]["/Names"]["/EmbeddedFiles"]["/Names"]
    assert names[2] == "timmar-mars.csv"
    assert names[3].get_object()["/EF"]["/F"].get_object().get_data() == CSV
