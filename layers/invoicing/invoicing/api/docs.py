"""The OpenAPI document and Swagger UI at `/swagger` (`?format=json` for the JSON), generated
from the routes themselves (invoicing.api.routes).

They are served by a function of their own (`DocsFunction` in template.yaml), not by the API
function: Powertools' OpenAPI models, which only the document needs, are ~40 ms of the API
function's cold start (bench/README.md, "Cold starts")."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

PATH = "/swagger"


def enable_docs(app: APIGatewayRestResolver) -> APIGatewayRestResolver:
    app.enable_swagger(
        path=PATH,
        title="Invoicing API",
        version="1.0.0",
        description="Invoices, customers and credit notes. Money is integer minor units of the currency.",
        security_schemes={"bearer": HTTPBearer(description="Your API key: `Authorization: Bearer sk_...`")},
        security=[{"bearer": []}],
    )
    return app
