import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from sdc_assets.sessions.model import (
    Session,
    SessionContext,
    SessionMeta,
    SessionSegment,
    SessionStatus,
    SourceSystem,
    make_session_id,
)
from sdc_assets.sessions.schema import session_schema_json

from ..conftest import REPO


def _session(**context) -> Session:
    meta = SessionMeta(session_id=make_session_id(SourceSystem.NOTES, "note/1"), source_system=SourceSystem.NOTES,
                       source_ref="note/1", partition_day="2025-03-10")  # fmt: skip
    segment = SessionSegment(
        timestamp=datetime(2025, 3, 10, 9, tzinfo=timezone(timedelta(hours=1))), kind="note", text="x"
    )
    return Session(meta=meta, context=SessionContext(**context), segments=[segment]).with_content_hash()


def test_session_file_has_the_four_top_level_keys_and_utc_times():
    data = json.loads(_session().to_json())
    assert list(data) == ["meta", "context", "insights", "segments"]
    assert data["segments"][0]["timestamp"] == "2025-03-10T08:00:00Z"
    assert data["meta"]["status"] == SessionStatus.NEEDS_LINKING == "needs_linking"


def test_ids_are_deterministic_per_source_and_native_id():
    assert make_session_id(SourceSystem.NOTES, "note/1") == make_session_id(SourceSystem.NOTES, "note/1")
    assert make_session_id(SourceSystem.NOTES, "note/1") != make_session_id(SourceSystem.SYNCRO, "note/1")


def test_content_hash_follows_content_not_enrichment():
    base = _session(customer_name="Bakkerij de Vries")
    assert base.meta.content_hash == _session(customer_name="Bakkerij de Vries").meta.content_hash
    assert base.meta.content_hash != _session(customer_name="Bakkerij De Vries").meta.content_hash
    linked = _session(customer_name="Bakkerij de Vries", customer_id="123", link_method="exact", link_confidence=1.0)
    assert linked.meta.content_hash == base.meta.content_hash


def test_round_trip_and_strictness():
    session = _session(attributes={"nested": {"a": [1, 2]}})
    assert Session.model_validate_json(session.to_json()) == session
    with pytest.raises(ValidationError):
        Session.model_validate({**json.loads(session.to_json()), "surprise": 1})
    with pytest.raises(ValidationError):
        SessionSegment(timestamp=datetime(2025, 1, 1), kind="note", text="naive times are refused")
    assert SessionSegment(timestamp=datetime(2025, 1, 1, tzinfo=UTC), kind="note", text="x").timestamp.tzinfo == UTC


def test_published_json_schema_is_current():
    published = (REPO / "data" / "schema" / "session.schema.json").read_text(encoding="utf-8")
    assert published == session_schema_json(), "run `make schema` and commit data/schema/session.schema.json"
