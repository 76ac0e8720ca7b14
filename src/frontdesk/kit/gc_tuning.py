"""Keep the cyclic garbage collector's pauses short in a long-running server.

A full (generation 2) collection walks every object the collector tracks. After startup a
Frontdesk process holds ~180k of them (modules, schemas, mappers, the language models' and
phone-number metadata); on the 2-core bench machine one full pass took 140-180 ms, and every
request in flight waited for it — it was the whole of the chat endpoint's p99 at moderate load.
Objects alive once startup is done live as long as the process, so they are collected once
and then frozen out of the collector's reach (``gc.freeze()``, the approach CPython documents
for this). What is created later is collected as usual.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> int:
    """Collect once, then move every surviving object to the permanent generation. Load what
    the first request would load lazily before calling it (``app.warm_up``), so that it is
    frozen too."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
