"""Background work of alerting: closed periods are judged page by page; supervisors' backtests
run as jobs; once per sweep and by one instance at a time (an advisory lock), closed periods whose
facts changed are refitted and judged again, what ended silences held back goes out, passed
deadlines are announced, townships get their digest."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from shared import topics
from shared.contracts import AlertDeadlinePassed, DeadlinePayload, DigestPayload, TownshipDigest
from shared.messaging.outbox import UnitOfWork
from shared.service import Service
from shared.service.periodic import every
from shared.working_days import LOCAL_TZ

from services.alerting import backtest, judging
from services.alerting.domain.deadlines import ACKNOWLEDGE, RESOLVE, passed
from services.alerting.domain.digest import digest, digest_id
from services.alerting.domain.ruleset import RuleSet
from services.alerting.publishing import PRODUCER, publish, route
from services.alerting.settings import AlertingSettings
from services.alerting.storage import backtest_jobs, repository
from services.alerting.storage.tables import outbox

log = logging.getLogger(__name__)
SWEEP_LOCK = 0x616C657274  # "alert": one sweeping instance at a time


def sweep_forever(service: Service, ruleset: RuleSet):
    settings: AlertingSettings = service.settings  # type: ignore[assignment]

    async def one_round(session, uow: UnitOfWork, now: datetime) -> None:
        await sweep(session, uow, ruleset, settings, now)

    return every(service, settings.sweep_seconds, SWEEP_LOCK, outbox, one_round, "alerting sweep")


async def judge_closings_forever(service: Service, ruleset: RuleSet) -> None:
    """Closed periods are judged a page of entities per transaction, with the page's alerts, so a
    city-sized closing is no giant transaction and a restart resumes at the page it stopped in.
    Every instance takes part; a page is locked by the one judging it."""
    settings: AlertingSettings = service.settings  # type: ignore[assignment]
    while True:
        try:
            async with service.sessions() as session, session.begin():
                uow = UnitOfWork(session, outbox)
                step = await judging.judge_closing(session, ruleset, settings.closing_page, timedelta(
                    seconds=settings.closing_settle_seconds), timedelta(seconds=settings.closing_settle_max_seconds))
                if step is not None:
                    changes, cause = step
                    await publish(changes, uow, lambda _: cause)
                    await uow.flush()
            if step is None:
                await asyncio.sleep(settings.closing_poll_seconds)
            else:
                service.relay.wake()
        except Exception:
            log.exception("judging a closed period failed; trying again")
            await asyncio.sleep(settings.closing_poll_seconds)


async def run_backtests_forever(service: Service) -> None:
    """Supervisors' queued backtests, one at a time per instance, oldest first."""
    settings: AlertingSettings = service.settings  # type: ignore[assignment]
    stale = timedelta(seconds=settings.backtest_stale_seconds)
    while True:
        try:
            async with service.sessions() as session, session.begin():
                job = await backtest_jobs.take(session, stale)
            if job is None:
                await asyncio.sleep(settings.backtest_poll_seconds)
            else:
                await backtest.run_job(service.sessions, settings.database_url, job, settings.backtest_workers)
        except Exception:
            log.exception("taking a backtest failed; trying again")
            await asyncio.sleep(settings.backtest_poll_seconds)


async def sweep(session, uow: UnitOfWork, ruleset: RuleSet, settings: AlertingSettings, now: datetime) -> None:
    quiet = now - timedelta(seconds=settings.refit_quiet_seconds)
    for period in await repository.stale_periods(session, quiet):
        await judging.close_period(session, period, None)
    released = await repository.held_by_ended_silences(session, now)
    if released:
        await publish(await judging.rejudge_exactly(session, ruleset, released), uow, lambda _: None)
    today = now.astimezone(LOCAL_TZ).date()
    for row in await repository.deadline_candidates(session, today):
        for deadline, due in ((ACKNOWLEDGE, row["acknowledge_due"]), (RESOLVE, row["resolve_due"])):
            if row[f"{deadline}_overdue_at"] is None and passed(due, row["status"], deadline, today):
                await repository.mark_overdue(session, row["alert_id"], deadline, now)
                event = AlertDeadlinePassed.create(
                    DeadlinePayload(alert_id=row["alert_id"], rule=row["rule"], uscc=row["uscc"],
                                    township_code=row["township_code"], period=row["period"], severity=row["severity"],
                                    deadline=deadline, due=due, also_townships=row["also_townships"]),
                    producer=PRODUCER, correlation_id=row["alert_id"],
                )
                route(event, row["uscc"], row["township_code"], row["also_townships"], uow)
    if now.astimezone(LOCAL_TZ).hour >= settings.digest_hour:
        names = {rule: spec.name_zh for rule, spec in ruleset.rules.items()}
        for township, since in await repository.digests_due(session, today):
            found = digest(township, today, await repository.open_alerts_of(session, township, today), since, names)
            if found is not None:
                uow.emit(TownshipDigest.create(DigestPayload.model_validate(found, from_attributes=True),
                                               producer=PRODUCER, correlation_id=digest_id(township, today)),
                         key=township, topic=topics.township_alerts(township))
            await repository.digest_sent(session, township, now)
