"""Running a use case that numbers documents: the series counter moves in the same commit as the
documents, and when another commit moved it first the whole use case runs again on fresh reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from invoicing.domain.errors import NumberingContention, SeriesMoved
from invoicing.services.ports import Retry, UnitOfWork

T = TypeVar("T")


def commit_numbered(uow: UnitOfWork, retry: Retry, work: Callable[[UnitOfWork], T]) -> T:
    """`work(uow)` reads, changes and registers; then one commit. Retried while a series moves."""
    for _ in retry.attempts():
        with uow:
            result = work(uow)
            try:
                uow.commit()
            except SeriesMoved:
                continue
            return result
    raise NumberingContention("A number series stayed busy; nothing was numbered. Try again.", param="series")
