"""Dashboard queries. Townships see their own township; supervisors the area they oversee."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from shared.auth import Principal, Role, require_role
from shared.service import Service

from services.analytics.domain.overview import overview
from services.analytics.storage import repository


class Figures(BaseModel):
    entities: int
    records: int
    matched_records: int
    unmatched_records: int
    open_alerts: int
    acknowledged_alerts: int
    resolved_alerts: int


class TownshipOverview(Figures):
    township_code: str
    township_name: str
    division_code: str
    division_name: str


class Overview(BaseModel):
    townships: list[TownshipOverview]
    totals: Figures


def router(service: Service) -> APIRouter:
    api = APIRouter(prefix="/v1", tags=["dashboard"])

    @api.get("/overview", response_model=Overview)
    async def get_overview(
        principal: Annotated[Principal, Depends(require_role(Role.TOWNSHIP, Role.SUPERVISOR))],
    ) -> Overview:
        """区域概况: entities, linked and unlinked records, alerts by handling state, per township."""
        prefix = principal.township_prefix or ""
        async with service.sessions() as session:
            figures = await repository.figures_by_township(session, prefix)
        rows, totals = overview(figures, prefix)
        return Overview(townships=[TownshipOverview(**r) for r in rows], totals=Figures(**totals.__dict__))

    return api
