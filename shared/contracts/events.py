"""The envelope and the event types of the flow in DESIGN.md.

Event ids are deterministic where an event is derived from another one (`derived_event_id`), so a
re-run of the same input produces the same ids and every consumer's idempotency check holds
across restarts, retries and rebalances. `correlation_id` is always the originating record's id:
one record can be traced from import to match to alert to feedback.
"""

from __future__ import annotations

import enum
import typing
import uuid
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Literal, Self

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared import ids, topics
from shared.records.fields import TownshipCode

_NAMESPACE = uuid.UUID("6f1c1f53-7d1e-4b55-9a55-0c7d1f0c2b11")


def derived_event_id(cause: uuid.UUID, what: str) -> uuid.UUID:
    """Id of the event `what` caused by event `cause`: the same cause always gives the same id."""
    return ids.uuid5(_NAMESPACE, f"{cause}:{what}")


class _Frozen(BaseModel):
    # no NaN or infinity anywhere: JSON has no such numbers, and they would be published as null
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


class Event(_Frozen):
    """The envelope every event carries."""

    topic: ClassVar[str]

    event_id: uuid.UUID
    event_type: str
    schema_version: int
    occurred_at: AwareDatetime
    producer: str = Field(description="service that produced the event")
    correlation_id: uuid.UUID = Field(description="id of the originating record")
    causation_id: uuid.UUID | None = Field(default=None, description="event that caused this one")
    payload: Any

    @classmethod
    def type_name(cls) -> str:
        """The `event_type` this class carries. Type and schema version are required on the wire,
        never defaulted: a message without them is not this event."""
        (name,) = typing.get_args(cls.model_fields["event_type"].annotation)
        return name

    @classmethod
    def create(
        cls,
        payload: Any,
        *,
        producer: str,
        correlation_id: uuid.UUID,
        cause: Event | None = None,
        event_id: uuid.UUID | None = None,
    ) -> Self:
        if event_id is None:
            event_id = derived_event_id(cause.event_id, cls.type_name()) if cause else uuid.uuid4()
        return cls(
            event_id=event_id,
            event_type=cls.type_name(),
            schema_version=typing.get_args(cls.model_fields["schema_version"].annotation)[0],
            occurred_at=datetime.now(UTC),
            producer=producer,
            correlation_id=correlation_id,
            causation_id=cause.event_id if cause else None,
            payload=payload,
        )


# --- record-imported ------------------------------------------------------------------------


class ImportedRecord(_Frozen):
    """One accepted, desensitised department record."""

    record_id: uuid.UUID = Field(description="uuid5 of (department, kind, source_key, period)")
    version: int = Field(ge=1, description="1 for the first submission, +1 per correction")
    department: str
    kind: str
    source_key: str
    period: str | None
    township_code: TownshipCode
    uscc: str | None
    received_at: AwareDatetime
    data: dict[str, Any] = Field(description="fields of the kind's declared schema, desensitised")
    pii_hashes: dict[str, str] = Field(
        default_factory=dict, description="keyed HMAC-SHA256 of each desensitised field, for equality matching"
    )

    is_correction: bool = Field(default=False, description="a changed resubmission: replaces the earlier version")

    @model_validator(mode="after")
    def _correction_flag(self) -> ImportedRecord:
        if self.is_correction != (self.version > 1):
            raise ValueError("is_correction must be true exactly when version > 1")
        return self


class RecordImported(Event):
    topic: ClassVar[str] = topics.RECORD_IMPORTED
    event_type: Literal["record-imported"]
    schema_version: Literal[1]
    payload: ImportedRecord


# --- record-matched / match-failed ----------------------------------------------------------


class MatchMethod(enum.StrEnum):
    EXACT_USCC = "exact_uscc"
    REGISTRATION_NUMBER = "registration_number"
    LEGACY_TAXPAYER_ID = "legacy_taxpayer_id"  # pre-2015 15-character id: division + organisation code
    # the code's first 17 characters, its check character mistyped, and the name agreeing
    CORRECTED_USCC = "corrected_uscc"
    FUZZY_NAME = "fuzzy_name"
    # a person's name (masked at import), equal by its keyed hash, with township and address agreeing
    PERSON_NAME = "person_name"
    LEARNED = "learned"  # a township decided it for this department's source key (feedback-submitted)


MATCH_METHOD_ZH = {
    MatchMethod.EXACT_USCC: "统一社会信用代码一致",
    MatchMethod.REGISTRATION_NUMBER: "注册号一致",
    MatchMethod.LEGACY_TAXPAYER_ID: "原15位纳税人识别号对应",
    MatchMethod.CORRECTED_USCC: "信用代码校验位有误、名称一致",
    MatchMethod.FUZZY_NAME: "名称地址相近",
    MatchMethod.PERSON_NAME: "经营者姓名、地址一致",
    MatchMethod.LEARNED: "乡镇（街道）核实关联",
}


class MatchFailureReason(enum.StrEnum):
    NO_NAME = "no_name"  # neither a code nor a name to match on
    INVALID_CODE = "invalid_code"  # the USCC's check character is wrong and the name does not settle it
    CODE_NOT_REGISTERED = "code_not_registered"
    NO_CANDIDATE = "no_candidate"
    AMBIGUOUS = "ambiguous"
    LOW_CONFIDENCE = "low_confidence"
    # a township verified that no registered business stands behind this source key: recorded,
    # counted, and never sent for review again
    CONFIRMED_UNREGISTERED = "confirmed_unregistered"


class MatchCase(enum.StrEnum):
    """The plan's verification cases (验证比较的情形) a matching decision reveals."""

    TAXPAYER_WITHOUT_REGISTRATION = "taxpayer_without_registration"  # 有税无照
    POWER_WITHOUT_REGISTRATION = "power_without_registration"  # 有电无照
    POWER_WITHOUT_TAX_REGISTRATION = "power_without_tax_registration"  # 有电未办税务登记
    SEVERAL_METERS = "several_meters"  # 一户多表
    SHARED_METER = "shared_meter"  # 多户一表
    METER_UNDER_ANOTHER_NAME = "meter_under_another_name"  # 表户不一致


class Candidate(_Frozen):
    """An entity that came close to an unlinked record, and why."""

    uscc: str
    name: str
    score: float = Field(
        description="the probability that the record is this entity's, among the candidates and the chance that "
        "it is none of them (three significant digits: a weak candidate is small, never rounded to zero)"
    )
    explanation: dict[str, float] = Field(default_factory=dict, description="the parts compared, each 0–1")
    evidence_bits: float | None = Field(
        None, description="the evidence for this entity in bits (log2 of the likelihood ratio); "
        "comparable across records where the score, a share among candidates, is not"
    )


class RecordMatchedPayload(_Frozen):
    record: ImportedRecord
    uscc: str = Field(description="the registered entity the record is linked to")
    entity_name: str
    entity_township_code: TownshipCode
    method: MatchMethod
    score: float = Field(ge=0, le=1)
    explanation: dict[str, float] = Field(default_factory=dict)
    share: float = Field(
        default=1.0, gt=0, le=1,
        description="the part of the record's quantities that is this entity's: below 1 for a shared meter (多户一表)",
    )
    cases: list[MatchCase] = Field(default_factory=list, description="what the link reveals, as known when it was made")


class RecordMatched(Event):
    topic: ClassVar[str] = topics.RECORD_MATCHED
    event_type: Literal["record-matched"]
    schema_version: Literal[1]
    payload: RecordMatchedPayload


class MatchFailedPayload(_Frozen):
    record: ImportedRecord
    reason: MatchFailureReason
    township_code: TownshipCode = Field(description="township that must verify the record")
    message_zh: str
    candidates: list[Candidate] = Field(default_factory=list)
    cases: list[MatchCase] = Field(default_factory=list, description="what the failure suggests, to be verified")


class MatchFailed(Event):
    topic: ClassVar[str] = topics.MATCH_FAILED
    event_type: Literal["match-failed"]
    schema_version: Literal[1]
    payload: MatchFailedPayload


# --- anomaly-detected -----------------------------------------------------------------------


class EvidenceMonth(_Frozen):
    period: str
    kwh: float | None = Field(description="power used (the entity's share of shared meters); null: no record")
    tax: float | None = Field(description="tax paid; null: no record, 0 a reported zero")


class EvidenceLink(_Frozen):
    """Why one of the alert's records was linked to its entity, as the matcher explained it."""

    record_id: uuid.UUID
    department: str
    kind: str
    source_key: str = Field(description="the department's key of the record (户号, 纳税人识别号)")
    period: str
    method: MatchMethod
    score: float = Field(ge=0, le=1)
    explanation: dict[str, float] = Field(default_factory=dict, description="the score's parts (uscc, name, address …)")


class EvidencePacket(_Frozen):
    """What the township verifies on site, frozen when the alert was raised: the entity as registered,
    the months of power and tax the rule looked at, and why the alert's records are this entity's."""

    industry_code: str | None
    status: str = Field(description="as registered: active, deregistered or revoked")
    status_since: date | None
    months: list[EvidenceMonth] = Field(description="up to 13 months ending with the alert's, oldest first")
    links: list[EvidenceLink] = Field(default_factory=list, description="the alert's records: how each was linked")


class AnomalyPayload(_Frozen):
    alert_id: uuid.UUID = Field(description="uuid5 of (rule, uscc, period): one alert per case")
    rule: str = Field(description="the rule's id in the catalogue, e.g. power_without_tax")
    uscc: str
    entity_name: str
    township_code: TownshipCode = Field(description="the matched entity's township: where the alert is routed")
    period: str
    facts: dict[str, float | str] = Field(description="the figures that triggered the rule")
    message_zh: str
    record_ids: list[uuid.UUID]
    severity: str = Field(default="medium", description="as the rule set says: high, medium or low")
    ruleset_version: str = Field(default="", description="the version of the rule set that judged it")
    also_townships: list[TownshipCode] = Field(
        default_factory=list, description="other townships the alert is routed to (a jurisdiction question)"
    )
    missing_departments: list[str] = Field(
        default_factory=list, description="departments whose data for the period was past its deadline and absent when judged"
    )
    acknowledge_working_days: int | None = Field(
        default=None, description="签收 within this many working days of the official calendar (from the severity)")
    resolve_working_days: int | None = Field(default=None, description="办结 within this many working days")
    evidence: EvidencePacket | None = Field(default=None, description="the facts behind the alert, as they were")


class AnomalyDetected(Event):
    topic: ClassVar[str] = topics.ANOMALY_DETECTED
    event_type: Literal["anomaly-detected"]
    schema_version: Literal[1]
    payload: AnomalyPayload


class AnomalyResolvedPayload(_Frozen):
    """The data no longer supports an alert (a correction, a late record): the township need not
    chase it. The same alert id fires again if the data comes to support it again."""

    alert_id: uuid.UUID
    rule: str
    uscc: str
    township_code: TownshipCode
    period: str
    message_zh: str
    ruleset_version: str
    also_townships: list[TownshipCode] = Field(default_factory=list)


class AnomalyResolved(Event):
    topic: ClassVar[str] = topics.ANOMALY_DETECTED  # beside its alert: one ordered stream per entity
    event_type: Literal["anomaly-resolved"]
    schema_version: Literal[1]
    payload: AnomalyResolvedPayload


class AnomalyUpdatedPayload(_Frozen):
    """The data still supports the alert, but its figures changed (a correction, a late record, a
    refitted interval): the township verifies what the data says now. The case's evidence packet as
    frozen when the alert was raised stays; this is what changed since."""

    alert_id: uuid.UUID
    rule: str
    uscc: str
    township_code: TownshipCode
    period: str
    ruleset_version: str
    facts: dict[str, float | str] = Field(description="the figures that trigger the rule now")
    previous_facts: dict[str, float | str] = Field(description="the figures last told")
    message_zh: str = Field(description="the alert's message as the data reads now")
    record_ids: list[uuid.UUID]
    evidence: EvidencePacket = Field(description="the entity and its months as they stand now")
    also_townships: list[TownshipCode] = Field(default_factory=list)


class AnomalyUpdated(Event):
    topic: ClassVar[str] = topics.ANOMALY_DETECTED  # beside its alert: one ordered stream per entity
    event_type: Literal["anomaly-updated"]
    schema_version: Literal[1]
    payload: AnomalyUpdatedPayload


class DeadlinePayload(_Frozen):
    """A deadline of an alert passed with its work not done: the feedback service escalates it."""

    alert_id: uuid.UUID
    rule: str
    uscc: str
    township_code: TownshipCode
    period: str
    severity: str
    deadline: Literal["acknowledge", "resolve"] = Field(description="签收 or 办结")
    due: date = Field(description="the last working day it could be done in time")
    also_townships: list[TownshipCode] = Field(default_factory=list)


class AlertDeadlinePassed(Event):
    topic: ClassVar[str] = topics.ANOMALY_DETECTED  # beside its alert: one ordered stream per entity
    event_type: Literal["alert-deadline-passed"]
    schema_version: Literal[1]
    payload: DeadlinePayload


class DigestAlert(_Frozen):
    alert_id: uuid.UUID
    rule: str
    uscc: str
    period: str
    detected_at: AwareDatetime
    overdue: bool


class DigestPayload(_Frozen):
    """A township's day in one message: open alerts per rule, the new ones, the overdue count."""

    township_code: TownshipCode
    day: date
    open_by_rule: dict[str, int]
    new_by_rule: dict[str, int]
    overdue: int
    new: list[DigestAlert] = Field(description="the first 50 new alerts, oldest first")
    message_zh: str


class TownshipDigest(Event):
    topic: ClassVar[str] = topics.TOWNSHIP_ALERTS_PREFIX + "{township_code}"  # the township's own systems only
    event_type: Literal["township-digest"]
    schema_version: Literal[1]
    payload: DigestPayload


# --- feedback-submitted ---------------------------------------------------------------------


class CaseState(enum.StrEnum):
    """Where a township's case (an alert or a match case) stands; the Chinese label is what people see."""

    PENDING = "pending"
    ACKNOWLEDGED = "acknowledged"
    VERIFYING = "verifying"
    RESOLVED = "resolved"
    REVIEWED = "reviewed"
    TRANSFERRING = "transferring"

    @property
    def label_zh(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    CaseState.PENDING: "待签收", CaseState.ACKNOWLEDGED: "已签收", CaseState.VERIFYING: "核查中",
    CaseState.RESOLVED: "已办结", CaseState.REVIEWED: "已复核", CaseState.TRANSFERRING: "转办中",
}


class FeedbackAction(enum.StrEnum):
    """An act on a case; every one is published, so a case's timeline can be rebuilt from Kafka."""

    ACKNOWLEDGE = "acknowledge"  # 签收
    VERIFY = "verify"  # 开始核查
    ADD_EVIDENCE = "add_evidence"  # a photo with the phone's location
    ASSIGN = "assign"  # to a named officer of the township
    RESOLVE = "resolve"  # 办结, with a disposition
    REVIEW = "review"  # 复核通过 (a supervisor)
    RETURN = "return"  # 退回 (a supervisor): back to 核查中
    TRANSFER = "transfer"  # 转办 to another township
    ACCEPT_TRANSFER = "accept_transfer"
    REFUSE_TRANSFER = "refuse_transfer"
    # a match case (an unmatched record's source key): the township's verified answer, its resolution
    LINK = "link"
    NOT_REGISTERED = "not_registered"
    SPLIT = "split"
    NOT_SAME_ENTITY = "not_same_entity"  # 非同一主体: never link this source key to these entities

    @property
    def decides_match(self) -> bool:
        return self in _MATCH_DECISIONS

    @property
    def label_zh(self) -> str:
        return _ACTION_LABELS[self]


_MATCH_DECISIONS = {FeedbackAction.LINK, FeedbackAction.NOT_REGISTERED, FeedbackAction.SPLIT,
                    FeedbackAction.NOT_SAME_ENTITY}
_ACTION_LABELS = {
    FeedbackAction.ACKNOWLEDGE: "签收", FeedbackAction.VERIFY: "开始核查", FeedbackAction.ADD_EVIDENCE: "上传现场证据",
    FeedbackAction.ASSIGN: "指派", FeedbackAction.RESOLVE: "办结", FeedbackAction.REVIEW: "复核通过",
    FeedbackAction.RETURN: "退回", FeedbackAction.TRANSFER: "转办", FeedbackAction.ACCEPT_TRANSFER: "接收转办",
    FeedbackAction.REFUSE_TRANSFER: "拒绝转办", FeedbackAction.LINK: "关联主体", FeedbackAction.NOT_REGISTERED: "认定无登记",
    FeedbackAction.SPLIT: "分户", FeedbackAction.NOT_SAME_ENTITY: "非同一主体",
}


class DispositionEffect(enum.StrEnum):
    """What a township's finding makes the platform do (services/feedback/policy/case_policy.yaml)."""

    CONFIRMED = "confirmed"  # a confirmed anomaly: counted for the rule's precision and backtests
    CORRECTION_REQUEST = "correction_request"  # the department that sent the records is asked to correct them
    SUPPRESS = "suppress"  # the rule stays silent for the entity until `suppress_until`
    JURISDICTION = "jurisdiction"  # the entity belongs to `to_township`: later alerts go there
    CANNOT_LINK = "cannot_link"  # the records are not this entity's
    STOP_JUDGING = "stop_judging"  # moved out or deregistered: no rules for later periods


class Evidence(_Frozen):
    """A photo taken on site: stored by feedback, referred to here by its digest."""

    evidence_id: uuid.UUID
    sha256: str
    content_type: Literal["image/jpeg", "image/png"]
    size: int
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = Field(default=None, description="the phone's own estimate of its location error")
    taken_at: AwareDatetime | None = None


class SourceKey(_Frozen):
    """One department's key for its records of one subject (户号, 纳税人识别号)."""

    department: str
    source_key: str


class MatchDecision(_Frozen):
    """What a township decided for every record of one department's source key (户号, 纳税人识别号)."""

    department: str
    source_key: str
    usccs: list[str] = Field(default_factory=list, description="link: one entity; split: the entities sharing it")
    shares: list[float] = Field(default_factory=list, description="split: each entity's part, summing to 1")


class FeedbackPayload(_Frozen):
    feedback_id: uuid.UUID
    alert_id: uuid.UUID = Field(description="the worklist item: an anomaly alert, or a match case")
    action: FeedbackAction
    township_code: TownshipCode
    actor: str = Field(description="the authenticated township principal")
    note: str = ""
    submitted_at: AwareDatetime
    match: MatchDecision | None = Field(default=None, description="with link, not_registered and split")
    kind: Literal["alert", "match_case"] | None = Field(default=None, description="what the case is")
    state: CaseState | None = Field(default=None, description="the case's state after the act")
    disposition: str | None = Field(default=None, description="resolve: what was found, from the closed list")
    assignee: str | None = Field(default=None, description="assign: the officer now in charge")
    to_township: TownshipCode | None = Field(default=None, description="transfer: the township asked to take it")
    evidence: Evidence | None = Field(default=None, description="add_evidence: the photo and where it was taken")
    device: str = Field(default="", description="the browser or system the act came from")
    effect: DispositionEffect | None = Field(
        default=None, description="resolve: what the disposition makes the platform do (the policy's closed list)")
    suppress_until: AwareDatetime | None = Field(
        default=None, description="effect suppress: the alert's rule stays silent for its entity until then")
    rule: str | None = Field(default=None, description="an alert's rule id")
    uscc: str | None = Field(default=None, description="an alert's entity")
    period: str | None = Field(default=None, description="an alert's period")
    record_ids: list[uuid.UUID] = Field(
        default_factory=list, description="an alert's records (effect correction_request: the ones to correct)")
    sources: list[SourceKey] = Field(
        default_factory=list,
        description="effect cannot_link: the department keys verified not to be the alert's entity (the matcher never links them to it again)")

    @model_validator(mode="after")
    def _decision_fits_action(self) -> FeedbackPayload:
        if self.action.decides_match != (self.match is not None):
            raise ValueError("link, not_registered and split carry a match decision; the other actions do not")
        if self.match is not None:
            wanted = {FeedbackAction.LINK: (1, 1), FeedbackAction.NOT_REGISTERED: (0, 0), FeedbackAction.SPLIT: (2, 50),
                      FeedbackAction.NOT_SAME_ENTITY: (1, 50)}
            low, high = wanted[self.action]
            usccs, shares = self.match.usccs, self.match.shares
            if not low <= len(usccs) <= high or len(set(usccs)) != len(usccs):
                raise ValueError(f"{self.action} needs between {low} and {high} distinct USCCs")
            if self.action is FeedbackAction.SPLIT and (len(shares) != len(usccs) or abs(sum(shares) - 1) > 1e-6
                                                        or min(shares) <= 0):
                raise ValueError("a split needs one positive share per USCC, summing to 1")
        return self


class FeedbackSubmitted(Event):
    topic: ClassVar[str] = topics.FEEDBACK_SUBMITTED
    event_type: Literal["feedback-submitted"]
    schema_version: Literal[1]
    payload: FeedbackPayload


class CorrectionRecord(_Frozen):
    """One record a department is asked to check and send again (its identity at ingest)."""

    record_id: uuid.UUID
    kind: str
    source_key: str = Field(description="the department's own key of the record (户号, 纳税人识别号; pid:… for a person)")
    period: str | None


class CorrectionRequestPayload(_Frozen):
    """数据错误: a township verified an alert and found the department's records wrong. Ingest asks the
    department that sent them to correct them; the request is answered when it sends one of them again."""

    request_id: uuid.UUID = Field(description="uuid5 of (feedback id, department): one request per finding and department")
    feedback_id: uuid.UUID = Field(description="the township's resolution that asked for it")
    alert_id: uuid.UUID = Field(description="the alert (case) the records were found wrong in")
    department: str
    records: list[CorrectionRecord] = Field(min_length=1)
    township_code: TownshipCode = Field(description="the township that verified it")
    note: str = Field(description="what the township found")
    rule: str | None = Field(default=None, description="the alert's rule id")
    uscc: str | None = Field(default=None, description="the alert's entity")
    period: str | None = Field(default=None, description="the alert's period")
    requested_at: AwareDatetime = Field(description="when the township resolved the alert")
    message_zh: str


class CorrectionRequested(Event):
    """Read by the department's own systems, beside the answers to its intake; a copy on `corrections`
    starts feedback's clock of the department (效能监测 charges the wait to it, not to the township)."""

    topic: ClassVar[str] = topics.INTAKE_PREFIX + "{department}.results"
    event_type: Literal["correction-requested"]
    schema_version: Literal[1]
    payload: CorrectionRequestPayload


class CorrectionAnswerPayload(_Frozen):
    """The department sent one of the records it was asked to correct again, changed: its request is answered."""

    request_id: uuid.UUID
    feedback_id: uuid.UUID
    alert_id: uuid.UUID
    department: str
    township_code: TownshipCode = Field(description="the township whose finding asked for it")
    requested_at: AwareDatetime
    answered_at: AwareDatetime = Field(description="when ingest accepted the corrected record")
    message_zh: str


class CorrectionAnswered(Event):
    """On `corrections` (feedback stops the department's clock) and on the department's results topic."""

    topic: ClassVar[str] = topics.CORRECTIONS
    event_type: Literal["correction-answered"]
    schema_version: Literal[1]
    payload: CorrectionAnswerPayload


# --- case-escalated -------------------------------------------------------------------------


class EscalationPayload(_Frozen):
    """A case past its deadline, told to the supervisors above its township: first the county, then,
    still undone some working days later, the city."""

    case_id: uuid.UUID
    kind: Literal["alert", "match_case"]
    township_code: TownshipCode
    level: Literal["county", "city"]
    deadline: Literal["acknowledge", "resolve"] = Field(description="签收 or 办结: the one that passed")
    due: date
    state: CaseState
    title: str = Field(description="the entity's name, or the unmatched record's")
    subject: str = Field(description="the rule id of an alert, the matcher's reason of a match case")
    message_zh: str


class CaseEscalated(Event):
    topic: ClassVar[str] = topics.COUNTY_ALERTS_PREFIX + "{division_code}"  # or alerts.city.{city_code}
    event_type: Literal["case-escalated"]
    schema_version: Literal[1]
    payload: EscalationPayload


# --- submission-assessed --------------------------------------------------------------------


class SubmissionStatus(enum.StrEnum):
    ON_TIME = "on_time"
    LATE = "late"
    MISSING = "missing"
    PENDING = "pending"


class SubmissionPayload(_Frozen):
    """Timeliness of one department's data for one period (supervision of the 5-working-day rule)."""

    department: str
    kind: str
    period: str
    deadline: date
    status: SubmissionStatus
    first_arrival: AwareDatetime | None


class SubmissionAssessed(Event):
    topic: ClassVar[str] = topics.SUBMISSION_ASSESSED
    event_type: Literal["submission-assessed"]
    schema_version: Literal[1]
    payload: SubmissionPayload


# --- intake-processed (the answer to a department's Kafka intake message) --------------------


class RowProblem(_Frozen):
    row: int
    field: str
    code: str
    message: str


class IntakeReport(_Frozen):
    department: str
    kind: str
    status: Literal["processed", "refused"]
    refusal_code: str | None = None
    refusal_message: str | None = None
    received: int = 0
    accepted: int = 0
    corrections: int = 0
    duplicates: int = 0
    rejected: int = 0
    errors: list[RowProblem] = Field(default_factory=list)
    warnings: list[RowProblem] = Field(default_factory=list, description="accepted rows to correct at the source")
    source_topic: str
    source_partition: int
    source_offset: int


class IntakeProcessed(Event):
    """Not consumed by a service: read by the department system that produced the intake message."""

    topic: ClassVar[str] = topics.INTAKE_PREFIX + "{department}.results"
    event_type: Literal["intake-processed"]
    schema_version: Literal[1]
    payload: IntakeReport


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type_name(): cls
    for cls in (
        RecordImported, RecordMatched, MatchFailed, AnomalyDetected, AnomalyResolved, AnomalyUpdated, AlertDeadlinePassed,
        FeedbackSubmitted,
        SubmissionAssessed, IntakeProcessed, TownshipDigest, CaseEscalated, CorrectionRequested, CorrectionAnswered,
    )
}
