"""Background work of ingest: the periodic timeliness sweep."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from shared.messaging.outbox import UnitOfWork
from shared.service import Service

from services.ingest.application import Intake
from services.ingest.settings import IngestSettings
from services.ingest.storage.tables import outbox

log = logging.getLogger(__name__)


async def sweep_timeliness(service: Service, intake: Intake) -> None:
    """Mark what has not arrived by its deadline as missing. Every replica may run it: a judgement
    is stored and published only when it changes."""
    settings: IngestSettings = service.settings  # type: ignore[assignment]
    while True:
        try:
            async with service.sessions() as session, session.begin():
                uow = UnitOfWork(session, outbox)
                changed = await intake.assess_due_periods(uow, datetime.now(UTC))
                await uow.flush()
            if changed:
                service.relay.wake()
        except Exception:
            log.exception("timeliness sweep failed; trying again next round")
        await asyncio.sleep(settings.timeliness_sweep_seconds)
