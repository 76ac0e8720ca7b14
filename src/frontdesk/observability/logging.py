"""JSON logs via structlog, with request id and tenant id, and no secrets."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

SECRET_FIELDS = re.compile(r"(authorization|api[_-]?key|password|secret|token|cookie)", re.I)
SECRET_VALUES = re.compile(
    r"(fd_(?:sk|pk)_)[A-Za-z0-9_-]{6,}"  # our API keys
    r"|(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}"  # bearer tokens
    r"|(://)[^/\s:@]*:[^/\s@]+(?=@)"  # credentials in URLs
    r"|(\$argon2(?:id|i|d)\$)[^\s'\",)]+"  # password hashes (argon2's PHC string)
)


def _mask(value: str) -> str:
    return SECRET_VALUES.sub(lambda m: next(g for g in m.groups() if g) + "***", value)


def scrub_secrets(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    for key, value in list(event.items()):
        if SECRET_FIELDS.search(key) and key not in ("event",):
            event[key] = "***"
        elif isinstance(value, str):
            event[key] = _mask(value)
    return event


class _StderrLogger:
    """Writes to whatever ``sys.stderr`` is at call time (so redirection and capture work)."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def _stderr_logger(*_: Any) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(level: str = "INFO", *, json: bool = True) -> None:
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        scrub_secrets,
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False),
    ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")
    for noisy in ("uvicorn.access", "alembic", "taskiq", "httpx", "httpcore", "openai"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
