"""Liveness and readiness."""

from __future__ import annotations

from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from redis.asyncio import Redis
from sqlalchemy import text

from frontdesk.db.engine import Database

router = APIRouter(tags=["ops"])


class Probed(Protocol):
    """What readiness checks of the process's runtime (structurally: frontdesk.runtime.Runtime)."""

    db: Database
    redis: Redis | None


def probed(request: Request) -> Probed:
    runtime: Probed = request.app.state.runtime
    return runtime


ProbedDep = Annotated[Probed, Depends(probed)]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "A dependency is down"}})
async def readyz(runtime: ProbedDep) -> Any:
    checks: dict[str, str] = {}
    try:
        async with runtime.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # report, never raise: this endpoint is for probes
        checks["database"] = f"error: {type(error).__name__}"
    if runtime.redis is not None:
        try:
            await runtime.redis.ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"error: {type(error).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
    )
