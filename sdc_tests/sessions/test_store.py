import os
from datetime import UTC, datetime

from sdc_assets.sessions.model import Session, SessionMeta, SessionSegment, SessionStatus, SourceSystem, make_session_id


def _session(ref: str, text: str = "hallo") -> Session:
    meta = SessionMeta(session_id=make_session_id(SourceSystem.NOTES, ref), source_system=SourceSystem.NOTES,
                       source_ref=ref, partition_day="2025-03-10")  # fmt: skip
    segment = SessionSegment(timestamp=datetime(2025, 3, 10, tzinfo=UTC), kind="note", text=text)
    return Session(meta=meta, segments=[segment]).with_content_hash()


def test_write_is_atomic_and_leaves_no_temp_files(session_store):
    a = _session("a")
    result = session_store.write_partition("notes", "2025-03-10", [a])
    assert result.written == [a.meta.session_id]
    path = session_store.path("notes", "2025-03-10", a.meta.session_id)
    assert Session.model_validate_json(path.read_bytes()).meta.ingested_at is not None
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]


def test_unchanged_sessions_are_not_rewritten_and_keep_their_enrichment(session_store):
    a = _session("a")
    session_store.write_partition("notes", "2025-03-10", [a])
    path = session_store.path("notes", "2025-03-10", a.meta.session_id)
    enriched = Session.model_validate_json(path.read_bytes())
    enriched.meta.status = SessionStatus.LINKED
    enriched.context.customer_id = "42"
    path.write_text(enriched.to_json())
    os.utime(path, (1, 1))
    before = path.read_bytes()
    result = session_store.write_partition("notes", "2025-03-10", [_session("a")])
    assert result.unchanged == [a.meta.session_id]
    assert not result.written
    assert path.read_bytes() == before
    assert path.stat().st_mtime == 1


def test_changed_sessions_are_rewritten_and_vanished_ones_removed(session_store):
    a, b = _session("a"), _session("b")
    session_store.write_partition("notes", "2025-03-10", [a, b])
    result = session_store.write_partition("notes", "2025-03-10", [_session("a", "nieuw")])
    assert result.written == [a.meta.session_id]
    assert result.removed == [b.meta.session_id]
    (stored,) = session_store.read_partition("notes", "2025-03-10")
    assert stored.segments[0].text == "nieuw"
    assert session_store.write_partition("notes", "2025-03-10", []).removed == [a.meta.session_id]
    assert not session_store.partition_dir("notes", "2025-03-10").exists()
