"""Per-department request rate limit (token bucket), so one department's runaway system cannot
starve the others' intake. Kept per process: with N ingest replicas the city-wide limit is N×."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBuckets:
    per_minute: int
    burst: int
    clock: Callable[[], float] = time.monotonic
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, who: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before retrying."""
        now = self.clock()
        tokens, last = self._state.get(who, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) * self.per_minute / 60)
        if tokens >= 1:
            self._state[who] = (tokens - 1, now)
            return 0.0
        self._state[who] = (tokens, now)
        return (1 - tokens) * 60 / self.per_minute
