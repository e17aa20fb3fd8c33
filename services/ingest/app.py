"""ingest (数据采集): departments' records in, validated and desensitised, out as record-imported."""

from shared import topics
from shared.contracts import RecordImported
from shared.service import Publication, ServiceSpec

from services.ingest.api import routes
from services.ingest.settings import IngestSettings
from services.ingest.storage.tables import metadata


def build() -> ServiceSpec:
    return ServiceSpec(
        name="ingest",
        description="数据采集：各部门报送数据的校验、脱敏与发布",
        settings=IngestSettings(),
        metadata=metadata,
        publications=[Publication(topics.RECORD_IMPORTED, RecordImported, "one accepted record (or a correction)")],
        routers=lambda service: [routes.router(service)],
    )
