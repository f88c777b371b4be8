"""One typed settings model per function, read from the environment once at cold start.

This is the only module that reads `os.environ`; a missing variable fails the cold start with
a message naming it, never a silent default.
"""

from __future__ import annotations

import os
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

S = TypeVar("S", bound="Settings")


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_env(cls: type[S]) -> S:
        try:
            return cls.model_validate(dict(os.environ))
        except ValidationError as exc:
            missing = ", ".join(str(e["loc"][0]) for e in exc.errors())
            raise RuntimeError(f"{cls.__name__}: bad or missing environment variables: {missing}") from None


class ApiSettings(Settings):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    idempotency_table_name: str = Field(alias="IDEMPOTENCY_TABLE_NAME", min_length=1)
    documents_bucket: str = Field(alias="DOCUMENTS_BUCKET", min_length=1)


class AuthorizerSettings(Settings):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)


class DocumentSettings(Settings):
    table_name: str = Field(alias="TABLE_NAME", min_length=1)
    documents_bucket: str = Field(alias="DOCUMENTS_BUCKET", min_length=1)


class RelaySettings(Settings):
    event_bus_name: str = Field(alias="EVENT_BUS_NAME", min_length=1)
