"""Answers of read-model queries, kept until the read models change (Superset's and Metabase's query
cache, with exact invalidation instead of a guessed timeout).

A read model changes only when the service's consumer commits a batch. After each such commit the
consumer advances a PostgreSQL sequence (`<schema>.read_model_version`, non-transactional, so no
lock between concurrent batches); a cached answer is served only while the sequence still has the
value it was computed under. The sequence is advanced *after* the commit: an answer computed while a
batch was committing is stored under the older value and so is recomputed on the next call, never
kept stale. Every instance of the service reads the same sequence, so one instance's batch
invalidates every instance's answers; `max_age` bounds what a lost advance (a crash between commit
and advance) could leave behind.

Identical calls that arrive while the first is being computed wait for it (single flight): eight
leaders opening the month's board at nine o'clock cost one query, not eight. The key is the reading
function and its arguments, with the caller reduced to its scope (role and code): two township
officers of one township share answers, two townships never do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Mapping
from enum import Enum
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from prometheus_client import Counter
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.auth import Principal

READS = Counter("bizpulse_read_cache_total", "Cached reads by outcome (hit, miss, joined: waited for an identical call)",
                ["service", "outcome"])

P = ParamSpec("P")
T = TypeVar("T")


def sequence_name(schema: str) -> str:
    return f"{schema}.read_model_version"


class ReadCache:
    def __init__(self, *, service: str, schema: str, sessions: async_sessionmaker, entries: int, max_age: float) -> None:
        self._service = service
        self._sessions = sessions
        self._sequence = sequence_name(schema)
        self._entries = entries
        self._max_age = max_age
        self._answers: OrderedDict[Hashable, tuple[int, float, Any]] = OrderedDict()
        self._computing: dict[Hashable, asyncio.Future] = {}

    @property
    def enabled(self) -> bool:
        return self._entries > 0

    async def changed(self) -> None:
        """The read models changed (a batch committed): every answer computed before is out of date."""
        async with self._sessions() as session, session.begin():
            await session.execute(sa.text(f"SELECT nextval('{self._sequence}')"))

    async def version(self) -> int:
        async with self._sessions() as session:
            return await session.scalar(sa.text(f"SELECT last_value FROM {self._sequence}"))

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        version = await self.version()
        full_key = (version, key)
        kept = self._answers.get(key)
        if kept is not None and kept[0] == version and time.monotonic() - kept[1] < self._max_age:
            self._answers.move_to_end(key)
            READS.labels(self._service, "hit").inc()
            return kept[2]
        if (pending := self._computing.get(full_key)) is not None:
            READS.labels(self._service, "joined").inc()
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled():
                    raise  # this caller went away
                # the first caller went away before its answer: this one computes it
        READS.labels(self._service, "miss").inc()
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._computing[full_key] = future
        try:
            answer = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:  # an error (404, 422) is the waiters' answer too, and is not kept
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody waited
            raise
        finally:
            del self._computing[full_key]
        future.set_result(answer)
        self._answers[key] = (version, time.monotonic(), answer)
        self._answers.move_to_end(key)
        while len(self._answers) > self._entries:
            self._answers.popitem(last=False)
        return answer


def _frozen(value: Any) -> Hashable:
    """An argument as part of a key: the caller by scope, mappings and models by content."""
    if isinstance(value, Principal):
        return ("principal", value.role, value.code)
    if isinstance(value, BaseModel):
        return (type(value).__qualname__, value.model_dump_json())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return (type(value).__qualname__, *(_frozen(getattr(value, f.name)) for f in dataclasses.fields(value)))
    if isinstance(value, Mapping):
        return tuple(sorted(((_frozen(k), _frozen(v)) for k, v in value.items()), key=repr))
    if isinstance(value, set | frozenset):
        return tuple(sorted((_frozen(v) for v in value), key=repr))
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, Enum | str | int | float | bool | None):
        return value
    raise TypeError(f"cannot key a cached read on {type(value).__name__}")


def cached(read: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[T]]:
    """Serve `read(service, …)` from its service's ReadCache, when the service has one."""
    name = f"{read.__module__}.{read.__qualname__}"

    @functools.wraps(read)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        cache: ReadCache | None = getattr(args[0], "read_cache", None)
        if cache is None or not cache.enabled:
            return await read(*args, **kwargs)
        key = (name, tuple(_frozen(a) for a in args[1:]), tuple(sorted((k, _frozen(v)) for k, v in kwargs.items())))
        return await cache.get(key, lambda: read(*args, **kwargs))

    return wrapper
