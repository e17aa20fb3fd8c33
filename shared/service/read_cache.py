"""Answers of read-model queries, kept until the data they read changes (Superset's and Metabase's
query cache, with exact invalidation instead of a guessed timeout).

A service's tables fall into *families* by the topics that write them (analytics: `figures` from the
record topics, `alerts` from the alert and feedback topics, `timeliness` from submission-assessed).
After each committed batch the consumer advances one PostgreSQL sequence per family it wrote
(`<schema>.read_version_<family>`: non-transactional, so no lock between concurrent batches). A kept
answer is served only while the sequences of the families its reading declared still have the values
it was computed under: a township acknowledging an alert does not throw away 产业运行监控. The
sequences are advanced *after* the commit, so an answer computed while a batch was committing is kept
under the older values and recomputed on the next call, never kept stale. Every instance of the
service reads the same sequences; `max_age` bounds what a lost advance (a crash between commit and
advance) could leave behind.

A read made while computing another (the township report reads 产业运行监控, the alert lists, …) is
checked against the versions the enclosing read was computed under, not asked for again: its answer
is computed after them, so it is at least as new as the versions it is kept under — the one safe way
round. The report costs one look at the sequences instead of nine.

Identical calls that arrive while the first is being computed wait for it (single flight): eight
leaders opening the month's board at nine o'clock cost one query, not eight. The key is the reading
function and its arguments, with the caller reduced to its scope (role and code): two township
officers of one township share answers, two townships never do.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import functools
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Mapping
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


# the versions the reads being computed in this task were computed under: (cache, family) → value
_ENCLOSING: contextvars.ContextVar[dict[tuple[int, str], Any]] = contextvars.ContextVar("read_cache_enclosing", default={})  # noqa: B039 never mutated


def sequence_name(schema: str, family: str) -> str:
    return f"{schema}.read_version_{family}"


class ReadCache:
    def __init__(
        self, *, service: str, schema: str, families: Mapping[str, str], sessions: async_sessionmaker | None,
        entries: int, max_age: float,
    ) -> None:
        """`families`: topic → the family of tables its handler writes."""
        self._service = service
        self._schema = schema
        self._families = dict(families)
        self._all = tuple(sorted(set(families.values())))
        self._sessions = sessions
        self._entries = entries
        self._max_age = max_age
        self._answers: OrderedDict[Hashable, tuple[tuple, float, Any]] = OrderedDict()
        self._computing: dict[Hashable, asyncio.Future] = {}

    @property
    def enabled(self) -> bool:
        return self._entries > 0

    def families_of(self, topics: Iterable[str]) -> tuple[str, ...]:
        """The families a batch of these topics wrote (all of them for a topic without one)."""
        found = {self._families.get(t) for t in topics}
        return self._all if None in found else tuple(sorted(found))

    def declared(self, reads: tuple[str, ...] | None) -> tuple[str, ...]:
        if reads is None:
            return self._all
        if unknown := set(reads) - set(self._all):
            raise ValueError(f"{self._service} has no read-model family {sorted(unknown)} (families: {self._all})")
        return reads

    async def changed(self, topics: Iterable[str]) -> None:
        """A batch of `topics` committed: answers read from the families it wrote are out of date."""
        advances = ", ".join(f"nextval('{sequence_name(self._schema, f)}')" for f in self.families_of(topics))
        async with self._sessions() as session, session.begin():
            await session.execute(sa.text(f"SELECT {advances}"))

    async def version(self, families: tuple[str, ...]) -> tuple:
        values = ", ".join(f"(SELECT last_value FROM {sequence_name(self._schema, f)})" for f in families)
        async with self._sessions() as session:
            return tuple((await session.execute(sa.text(f"SELECT {values}"))).one())

    async def get(self, key: Hashable, reads: tuple[str, ...] | None, compute: Callable[[], Awaitable[T]]) -> T:
        """`compute()`'s answer, kept under `key` while the families it `reads` (None: all) are unchanged."""
        families, enclosing = self.declared(reads), _ENCLOSING.get()
        if all((id(self), f) in enclosing for f in families):
            version = tuple(enclosing[(id(self), f)] for f in families)
        else:
            version = await self.version(families)
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
        computing = _ENCLOSING.set(enclosing | {(id(self), f): v for f, v in zip(families, version, strict=True)})
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
            _ENCLOSING.reset(computing)
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


def cached(
    read: Callable[P, Awaitable[T]] | None = None, *, reads: tuple[str, ...] | None = None
) -> Callable[P, Awaitable[T]] | Callable[[Callable[P, Awaitable[T]]], Callable[P, Awaitable[T]]]:
    """Serve `read(service, …)` from its service's ReadCache, when the service has one. `reads`: the
    families of tables the reading reads (default: all) — declare only what every path of it reads."""
    if read is None:
        return functools.partial(cached, reads=reads)
    name = f"{read.__module__}.{read.__qualname__}"

    @functools.wraps(read)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        cache: ReadCache | None = getattr(args[0], "read_cache", None)
        if cache is None or not cache.enabled:
            return await read(*args, **kwargs)
        key = (name, tuple(_frozen(a) for a in args[1:]), tuple(sorted((k, _frozen(v)) for k, v in kwargs.items())))
        return await cache.get(key, reads, lambda: read(*args, **kwargs))

    wrapper.reads = reads  # checked against the service's families by its tests
    return wrapper
