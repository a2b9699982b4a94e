import io
import json
import tracemalloc

import pytest

from sdc_assets.file_drop import notes
from sdc_assets.file_drop.records import SourceParseError
from sdc_assets.sessions.model import SegmentKind

from .helpers import OPTIONS, parse_bytes, sessions_of

NOTE = {
    "id": "n-000123",
    "type": "note",
    "title": "Printer Bakkerij de Vries",
    "content": "Toner besteld, driver herinstalleren bij volgende bezoek.",
    "customer": "Bakkerij de Vries",
    "contact": "Jan de Vries",
    "tags": ["printer", "onsite"],
    "created_at": "2024-03-05T10:15:42+01:00",
    "updated_at": "2024-03-06T09:00:00+01:00",
}
TODO = {
    "id": 7,
    "type": "todo",
    "title": "Driver",
    "created_at": "2024-03-05",
    "items": [{"text": "Driver v5.2 installeren", "done": False}, {"text": "Testen", "done": True}],
}


@pytest.mark.parametrize("document", [[NOTE, TODO], {"export": {"v": 2}, "notes": [NOTE, TODO]}])
def test_list_and_object_exports(document):
    records, rejects = parse_bytes(notes.parse, json.dumps(document).encode())
    assert not rejects
    note, todo = sessions_of(notes, records)
    assert note.insights.title == "Printer Bakkerij de Vries"
    assert note.context.customer_name == "Bakkerij de Vries"
    assert note.context.contact_name == "Jan de Vries"
    assert note.context.tags == ["printer", "onsite"]
    assert note.segments[0].kind == SegmentKind.NOTE
    assert note.meta.source_updated_at.isoformat() == "2024-03-06T08:00:00+00:00"
    assert [s.text for s in todo.segments] == ["[ ] Driver v5.2 installeren", "[x] Testen"]
    assert todo.insights.started_at.isoformat() == "2024-03-04T23:00:00+00:00"


def test_invalid_notes_are_rejected_with_their_index():
    bad = [
        NOTE,
        {"id": None},
        {"id": "n-2"},
        {"id": "n-3", "type": "memo", "created_at": "2024-01-01"},
        "tekst",
        {"id": "n-4", "created_at": "2024-01-01", "title": 5},
    ]
    records, rejects = parse_bytes(notes.parse, json.dumps(bad).encode())
    assert len(records) == 1
    assert [(r.location, r.reason) for r in rejects] == [
        ("notes[1]", "note has no id"),
        ("notes[2]", "note has no readable created_at or updated_at, so it has no day"),
        ("notes[3]", "unknown type 'memo' (expected 'note' or 'todo')"),
        ("notes[4]", "expected a note object, found str"),
        ("notes[5]", "'title' must be text, found int"),
    ]


def test_broken_json_keeps_the_notes_before_it():
    data = json.dumps([NOTE, TODO]).encode()[:-30]
    items = []
    with pytest.raises(SourceParseError, match=r"after notes\[0\]: invalid JSON"):
        items.extend(notes.parse(io.BytesIO(data), "n.json", OPTIONS))
    assert len(items) == 1


@pytest.mark.parametrize("data", [b"42", b'"x"', b'{"items": []}', b"", b"\xef\xbb\xbf"])
def test_not_a_notes_export(data):
    with pytest.raises(SourceParseError):
        list(notes.parse(io.BytesIO(data), "n.json", OPTIONS))


def test_newest_version_of_a_note_wins():
    old = {**NOTE, "content": "oud", "updated_at": "2024-03-05T11:00:00+01:00"}
    records, _ = parse_bytes(notes.parse, json.dumps([NOTE, old]).encode())
    (session,) = sessions_of(notes, records)
    assert session.segments[0].text.startswith("Toner besteld")
    assert session.context.attributes["versions_seen"] == 2


def _export(count: int) -> bytes:
    body = ",".join(json.dumps({**NOTE, "id": f"n-{i}", "content": "x" * 400}) for i in range(count))
    return f'{{"notes": [{body}]}}'.encode()


def _peak_while_streaming(data: bytes) -> int:
    tracemalloc.start()
    try:
        for _ in notes.parse(io.BytesIO(data), "n.json", OPTIONS):
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_file():
    small, large = _export(200), _export(4000)
    small_peak, large_peak = _peak_while_streaming(small), _peak_while_streaming(large)
    assert len(large) > 2_000_000
    assert large_peak < 2 * small_peak + 256_000


def _three_notes(middle: bytes) -> bytes:
    first, last = json.dumps({**NOTE, "id": "a"}).encode(), json.dumps({**NOTE, "id": "c"}).encode()
    return b"[" + first + b', {"id": "b", "created_at": "2024-03-05", "content": "' + middle + b'"}, ' + last + b"]"


@pytest.mark.parametrize(
    "middle",
    [
        pytest.param(b"Zo\xeb kapot", id="a byte that is not UTF-8"),
        pytest.param(b"nul\x00byte", id="NUL"),
        pytest.param(b"lone \\ud800 surrogate", id="lone surrogate escape"),
    ],
)
def test_a_note_with_bad_bytes_is_quarantined_and_the_notes_after_it_load(middle):
    data = _three_notes(middle).replace(b"Printer", "Printér".encode())  # the file is UTF-8 elsewhere
    records, rejects = parse_bytes(notes.parse, data)
    assert [r.session_key for r in records] == ["note/a", "note/c"]
    assert [r.location for r in rejects] == ["notes[1]"]
    assert "cannot be read" in rejects[0].reason
    assert records[0].payload["note"]["title"] == "Printér Bakkerij de Vries"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16", "utf-16-le", "utf-8-sig"])
def test_exports_in_other_encodings_read_the_same(encoding):
    text = json.dumps([{**NOTE, "title": "Café De Hoek"}], ensure_ascii=False)
    records, rejects = parse_bytes(notes.parse, text.encode(encoding))
    assert not rejects
    assert records[0].payload["note"]["title"] == "Café De Hoek"


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty file"), (b"   \n ", "empty file"), (bytes(range(256)) * 4, "binary data")],
)
def test_empty_and_binary_files_say_what_they_are(data, reason):
    with pytest.raises(SourceParseError, match=reason):
        parse_bytes(notes.parse, data)


def test_a_json_error_reads_as_text():
    with pytest.raises(SourceParseError) as caught:
        parse_bytes(notes.parse, b'[{"id": "1", "created_at": "2024-03-05"}, {"id": ')
    assert "b'" not in caught.value.reason
    assert "\n" not in caught.value.reason


def test_escaped_surrogate_pairs_are_text():
    data = json.dumps([{**NOTE, "title": "Klant blij 😀"}], ensure_ascii=True).encode()  # "\ud83d\ude00"
    records, rejects = parse_bytes(notes.parse, data)
    assert not rejects
    assert records[0].payload["note"]["title"] == "Klant blij 😀"
