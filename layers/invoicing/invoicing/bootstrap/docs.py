"""The docs function's composition root: the API's routes, with the OpenAPI document and Swagger UI."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from invoicing.api.docs import enable_docs
from invoicing.api.routes import build_app
from invoicing.bootstrap.api import api_services
from invoicing.config import ApiRunSettings, ApiSettings

# The routes are declared over the API's services but never called here: the document is all this
# function answers, and it has no table, bucket or permission to reach them.
NO_STORAGE = ApiSettings(table_name="-", idempotency_table_name="-", documents_bucket="-", statements_bucket="-",
                         files_bucket="-", public_base_url="")
NO_QUEUE = ApiRunSettings(billing_run_queue_url="-", sandbox_mode="false")


def docs_resolver() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    app = enable_docs(build_app(api_services(NO_STORAGE, run_settings=NO_QUEUE)))
    return app.resolve
