"""Events on the wire: the envelope as UTF-8 JSON, with the type also in a header."""

from __future__ import annotations

from collections.abc import Mapping

import orjson
from pydantic import ValidationError

from shared.contracts import EVENT_TYPES, Event


class DecodeError(ValueError):
    """A message that no retry can fix; `code` is the stable reason on its dead letter."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code


def encode(event: Event) -> bytes:
    return event.model_dump_json().encode()


def headers(event: Event) -> dict[str, str]:
    return {
        "event_type": event.event_type,
        "event_id": str(event.event_id),
        "correlation_id": str(event.correlation_id),
        "schema_version": str(event.schema_version),
    }


def decode(raw: bytes | None, accepted: Mapping[str, type[Event]] = EVENT_TYPES) -> Event:
    """Parse and validate one message; `accepted` are the event types this consumer handles."""
    if not raw:
        raise DecodeError("empty_message", "message has no value")
    if len(accepted) == 1:  # the usual consumer: parsed and validated in one pass by pydantic-core
        try:
            return next(iter(accepted.values())).model_validate_json(raw)
        except ValidationError:
            pass  # diagnosed below, with the reason the dead letter will carry
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise DecodeError("not_json", f"value is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise DecodeError("not_an_envelope", "value is not a JSON object")
    event_type = document.get("event_type")
    model = accepted.get(event_type) if isinstance(event_type, str) else None
    if model is None:
        raise DecodeError("unexpected_event_type", f"event_type {event_type!r} is not handled here")
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise DecodeError("schema_violation", _summarise(exc)) from None


def _summarise(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
