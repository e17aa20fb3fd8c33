"""区域企业发展概况 (#1): how many entities an area has and how that number moves, month by month.

What is counted, from each entity's registration as analytics keeps it (its newest version:
成立日期 `established_on`, registration status, and the 登记日期 of its 注销 or 吊销 `ended_on`):

- **Active at a month's end (月末存续)**: established on or before the month's last day, and not
  ended by then — an ended entity counts as active up to the day before its `ended_on`, so one
  deregistered on the 31st is no longer counted at that month's end.
- **An entity without `established_on`** (a registry extract without the 成立日期) counts as having
  existed since before any month asked about: active at every month end until it ends, never new.
- **An ended entity without a date** (注销 or 吊销 with no 登记日期) is counted at no month's end and
  in no month's ended: when it ended is unknown, that it has ended is not.
- **New (成立)** in a month: `established_on` in it. **Deregistered (注销) / revoked (吊销)**: its
  status and `ended_on` in it. **Net growth (净增)** = new − deregistered − revoked, so
  active at the end of a month = active at the end of the month before + net growth. An entity
  founded and ended in the same month is new and ended in it: net growth 0, never active at a month end.
- **Revoked, then deregistered**: analytics keeps the newest status and date, so the entity counts
  once, as deregistered at its deregistration date (active until then, as the registry's 吊销未注销
  entity legally still is); it is not counted as revoked as well.
- **Year on year (同比)**: the active count at this month's end against the same month's end a year
  before; none (not a division by zero) where there was none a year before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from shared.periods import shift

ACTIVE, DEREGISTERED, REVOKED = "active", "deregistered", "revoked"
STATUS_ZH = {ACTIVE: "存续", DEREGISTERED: "注销", REVOKED: "吊销"}


def month_start(period: str) -> date:
    return date(int(period[:4]), int(period[5:7]), 1)


def month_end(period: str) -> date:
    return month_start(shift(period, 1)) - timedelta(days=1)


@dataclass(frozen=True)
class Registration:
    """An entity as its registration stands now (what analytics.entities keeps)."""

    established_on: date | None
    status: str  # active | deregistered | revoked
    ended_on: date | None = None


def active_at(entity: Registration, day: date) -> bool:
    """Whether the entity is counted as existing at the end of `day` (the rule above)."""
    started = entity.established_on is None or entity.established_on <= day
    going = entity.status == ACTIVE or (entity.ended_on is not None and entity.ended_on > day)
    return started and going


def standing_at(entity: Registration, day: date) -> str:
    """The entity's status as of `day`: active, deregistered, revoked, or `not_yet` (founded after it)."""
    if entity.established_on is not None and entity.established_on > day:
        return "not_yet"
    return ACTIVE if active_at(entity, day) else entity.status


STANDING_ZH = {**STATUS_ZH, "not_yet": "未成立"}


@dataclass(frozen=True)
class Flow:
    """A month's registrations: founded, deregistered, revoked."""

    new: int = 0
    deregistered: int = 0
    revoked: int = 0

    @property
    def ended(self) -> int:
        return self.deregistered + self.revoked

    @property
    def net(self) -> int:
        return self.new - self.ended

    def __add__(self, other: Flow) -> Flow:
        return Flow(self.new + other.new, self.deregistered + other.deregistered, self.revoked + other.revoked)


def yoy_pct(now: int, year_before: int) -> float | None:
    """The change against a year before in percent, one decimal; none without a base."""
    return round(100.0 * (now - year_before) / year_before, 1) if year_before else None


@dataclass(frozen=True)
class Count:
    """A group's figures for a month: active at its end and a year before, and the month's flow."""

    active: int = 0
    active_year_before: int = 0
    flow: Flow = Flow()

    @property
    def yoy_pct(self) -> float | None:
        return yoy_pct(self.active, self.active_year_before)

    def __add__(self, other: Count) -> Count:
        return Count(self.active + other.active, self.active_year_before + other.active_year_before, self.flow + other.flow)


def rollup(cells: Iterable[tuple[tuple[str, ...], Count]], key_index: int) -> dict[str, Count]:
    """The counts of (township, entity type, 门类) cells summed by one part of their key."""
    found: dict[str, Count] = {}
    for key, count in cells:
        found[key[key_index]] = found.get(key[key_index], Count()) + count
    return found


@dataclass(frozen=True)
class Point:
    """A month of the series: its flow and the active entities at its end."""

    period: str
    flow: Flow
    active: int


def series(opening: int, monthly: Mapping[str, Flow], first: str, last: str) -> list[Point]:
    """From `first` to `last`: each month's flow and active count at its end, carried from `opening`
    (active at the end of the month before `first`) by each month's net growth."""
    points, active, period = [], opening, first
    while period <= last:
        flow = monthly.get(period, Flow())
        active += flow.net
        points.append(Point(period, flow, active))
        period = shift(period, 1)
    return points
