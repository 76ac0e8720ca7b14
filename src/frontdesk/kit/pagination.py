"""Page + limit lists with a hard maximum."""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
MAX_LIMIT = 100


class PageParams(BaseModel):
    page: int = 1
    limit: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def page_params(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20,
) -> PageParams:
    return PageParams(page=page, limit=limit)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    limit: int


async def paginate(session: AsyncSession, query: Select[Any], params: PageParams) -> tuple[list[Any], int]:
    """One page of an ordered query's entities and the total count (no page query when it is 0)."""
    total = await session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    if total == 0:
        return [], 0
    rows = await session.scalars(query.offset(params.offset).limit(params.limit))
    return list(rows.all()), total
