"""Sign-in backoff that slows a guesser without locking the owner out.

Failed password checks (sign-in, and the current password on the account page) are counted
per client address and per account email, in the cache (Redis when configured), for a day.
Past a few free failures, each further attempt on that address or that email must wait, the
wait doubling with each failure: up to 15 minutes for an address, but only up to 5 minutes for
an account — an attacker spread over many addresses slows the owner down, never locks them
out. When an account starts waiting its owner gets an unlock link (``users.unlock``) that
clears the account's count at once.

While waiting, every attempt is answered 429 without the password being checked (the answer
must not tell a right password from a wrong one). Unknown emails are counted exactly like
known ones, so the answers never tell whether an account exists. A successful sign-in clears
the account's count but not the address's (one's own account must not reset the counter of
guesses at others).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from frontdesk.kit.cache import Cache
from frontdesk.kit.errors import FrontdeskError

WINDOW_SECONDS = 24 * 3600.0

clock = time.time  # tests move it forward instead of sleeping


@dataclass(frozen=True)
class Backoff:
    free: int  # failures before the first wait
    first: float  # seconds of the first wait; doubles with each further failure
    cap: float

    def wait(self, failures: int) -> float:
        if failures <= self.free:
            return 0.0
        return float(min(self.first * 2 ** min(failures - self.free - 1, 40), self.cap))


ACCOUNT = Backoff(free=10, first=1.0, cap=5 * 60.0)


class TooManyAttempts(FrontdeskError):
    status, code, title = 429, "too_many_attempts", "Too many failed sign-ins"


class SignInThrottle:
    def __init__(self, cache: Cache, *, address_free: int = 5) -> None:
        self.cache = cache
        self.address = Backoff(free=address_free, first=1.0, cap=15 * 60.0)

    def _scopes(self, address: str, email: str) -> list[tuple[str, Backoff]]:
        return [(f"address:{address or 'unknown'}", self.address), (f"account:{email}", ACCOUNT)]

    async def check(self, address: str, email: str) -> None:
        """429 with Retry-After while the address or the account must wait."""
        now = clock()
        waits = []
        for scope, _ in self._scopes(address, email):
            until = await self.cache.get(f"auth:wait:{scope}")
            if until is not None and float(until) > now:
                waits.append(float(until) - now)
        if waits:
            retry = max(1, math.ceil(max(waits)))
            raise TooManyAttempts(
                f"Too many failed sign-ins: try again in {retry} s. If this email has an account, "
                "its owner was sent a link to sign in at once; or reset the password.",
                headers={"Retry-After": str(retry)},
                extra={"retry_after": retry},
            )

    async def failed(self, address: str, email: str) -> bool:
        """Count a failure; True when the account has just started to wait (time to send the
        owner an unlock link — once per episode)."""
        started = False
        for scope, backoff in self._scopes(address, email):
            failures = await self.cache.incr(f"auth:failures:{scope}", ttl=WINDOW_SECONDS)
            wait = backoff.wait(failures)
            if wait:
                await self.cache.set(f"auth:wait:{scope}", str(clock() + wait).encode(), wait + 60)
            if backoff is ACCOUNT and failures == backoff.free + 1:
                started = True
        return started

    async def clear_account(self, email: str) -> None:
        await self.cache.delete(f"auth:failures:account:{email}", f"auth:wait:account:{email}")
