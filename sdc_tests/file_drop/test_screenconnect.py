from datetime import UTC, datetime

import pytest

from sdc_assets.file_drop import screenconnect
from sdc_assets.file_drop.records import SourceParseError
from sdc_assets.sessions.model import AuthorRole, SegmentKind

from .helpers import parse_bytes, sessions_of

EVENTS = (
    "SessionID,SessionName,SessionCustomProperty1,SessionGuestMachineName,ConnectionID,"
    "ConnectionParticipantName,ConnectionProcessType,EventType,Time,Data,Host\r\n"
    "s1,BDV-KASSA01,Bakkerij de Vries,BDV-KASSA01,c1,Jan Visser,Host,Connected,3/10/2025 7:55:10 AM,,Jan Visser\r\n"
    's1,BDV-KASSA01,Bakkerij de Vries,BDV-KASSA01,c1,Jan Visser,Host,RanCommand,3/10/2025 7:58:10 AM,"Get-Printer\r\n'
    'Name   Status\r\nHP M404 Error",Jan Visser\r\n'
    "s1,BDV-KASSA01,Bakkerij de Vries,BDV-KASSA01,c1,Jan Visser,Host,AddedNote,3/10/2025 8:08:10 AM,"
    "Spooler herstart,Jan Visser\r\n"
    "s1,BDV-KASSA01,Bakkerij de Vries,BDV-KASSA01,c1,Jan Visser,Host,ModifiedWidgets,3/10/2025 8:09:00 AM,"
    "x=1,Jan Visser\r\n"
    "s1,BDV-KASSA01,Bakkerij de Vries,BDV-KASSA01,c2,Kees,Guest,SentMessage,3/10/2025 8:09:30 AM,Dank je!,\r\n"
    "s1,BDV-KASSA01,Bakkerij de Vries,BDV-KASSA01,c1,Jan Visser,Host,Disconnected,3/11/2025 8:10:10 AM,,Jan Visser\r\n"
)


def test_connection_events_become_one_session_per_session_and_day():
    records, rejects = parse_bytes(screenconnect.parse, EVENTS.encode())
    assert not rejects
    assert {r.session_key for r in records} == {"session/s1/2025-03-10", "session/s1/2025-03-11"}
    first = next(s for s in sessions_of(screenconnect, records) if s.meta.source_ref.endswith("03-10"))
    assert first.context.customer_name == "Bakkerij de Vries"
    assert first.context.machine_names == ["BDV-KASSA01"]
    assert first.context.contact_name == "Kees"
    assert [s.kind for s in first.segments] == [
        SegmentKind.CONNECTION,
        SegmentKind.COMMAND_OUTPUT,
        SegmentKind.NOTE,
        SegmentKind.EVENT,
        SegmentKind.MESSAGE,
    ]
    assert first.segments[1].text == "Get-Printer\r\nName   Status\r\nHP M404 Error"
    assert first.segments[3].source_meta["event_type"] == "ModifiedWidgets"
    assert first.segments[4].author_role == AuthorRole.CUSTOMER
    assert first.insights.user_notes == ["Spooler herstart"]
    assert first.insights.started_at == datetime(2025, 3, 10, 7, 55, 10, tzinfo=UTC)
    assert first.insights.duration_seconds == 860


def test_bom_and_windows_1252_read_the_same_text():
    report = (
        "SessionID,SessionType,Name,Host,CreatedTime,CustomProperty1\r\n"
        "s2,Support,Support Café,Jan,2025-03-12 09:28:40,Café Het Hoekje\r\n"
    )
    for data in (b"\xef\xbb\xbf" + report.encode(), report.encode("cp1252"), report.encode("utf-16")):
        (record,), _ = parse_bytes(screenconnect.parse, data)
        assert record.payload["session"]["CustomProperty1"] == "Café Het Hoekje"
        assert record.kind == "session"


def test_connection_report_year_one_is_still_connected():
    data = (
        "SessionID,ConnectionID,ProcessType,ParticipantName,NetworkAddress,ConnectedTime,DisconnectedTime,DurationSeconds\n"
        "s3,c3,Guest,NWL-SRV01,10.1.1.10,2025-03-09 06:00:00,0001-01-01 00:00:00,\n"
        "s3,c4,Host,Mark,84.22.101.7,2025-03-09 07:00:00,2025-03-09 07:30:00,1800\n"
    )
    records, _ = parse_bytes(screenconnect.parse, data.encode())
    assert records[0].payload["disconnected_at"] is None
    assert records[1].payload["duration_seconds"] == 1800
    (session,) = sessions_of(screenconnect, records)
    assert session.insights.ended_at == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)
    assert "from 84.22.101.7" in session.segments[1].text


def test_rmm_human_header_export_in_dutch_culture():
    data = (
        "Client,Location,Computer,Session Name,Participant Name,Connected Time,Disconnected Time,Computer ID,Duration\n"
        "Van Dijk Transport,Rotterdam,VDT-PLAN-02,Planning,Sanne,11-3-2025 10:02:11,11-3-2025 10:31:40,3412,00:29:29\n"
        "Van Dijk Transport,Rotterdam,VDT-PLAN-02,Planning,Sanne,14-3-2025 16:45:00,,3412,\n"
    )
    records, rejects = parse_bytes(screenconnect.parse, data.encode())
    assert not rejects
    assert [r.session_key for r in records] == ["rmm/3412/Planning/2025-03-11", "rmm/3412/Planning/2025-03-14"]
    assert records[0].payload["duration_seconds"] == 1769
    session = sessions_of(screenconnect, records)[0]
    assert session.context.customer_name == "Van Dijk Transport"
    assert session.context.machine_names == ["VDT-PLAN-02"]
    assert session.context.attributes["Location"] == "Rotterdam"


def test_malformed_rows_are_rejected_with_their_line_and_the_rest_loads():
    data = EVENTS.replace(
        "s1,BDV-KASSA01,Bakkerij de Vries,BDV-KASSA01,c1,Jan Visser,Host,AddedNote",
        "s1,cut short\r\n,,,,,,,,,,\r\ns1,BDV-KASSA01,Bakkerij de Vries,BDV-KASSA01,c1,Jan Visser,Host,AddedNote",
    ).replace("8:09:00 AM", "morgen")
    records, rejects = parse_bytes(screenconnect.parse, data.encode())
    assert [(r.location, r.reason) for r in rejects] == [
        ("line 6", "expected 11 fields, found 2"),
        ("line 9", "unrecognized time '3/10/2025 morgen'"),
    ]
    assert len(records) == 5


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"Name,Age\nJan,40\n", "not a ScreenConnect export header"),
        (b"SessionID,Time\x00\n", "NUL byte"),
        (b'SessionID,EventType,Time\n"s1,Connected', "expected 3 fields"),
    ],
)
def test_unreadable_files_raise_the_parse_error(data, reason):
    try:
        _, rejects = parse_bytes(screenconnect.parse, data, "bad.csv")
    except SourceParseError as exc:
        assert reason in str(exc)
        assert "bad.csv" in str(exc)
    else:
        assert any(reason in r.reason for r in rejects)


def test_session_ids_are_deterministic_and_distinct():
    records, _ = parse_bytes(screenconnect.parse, EVENTS.encode())
    ids = [s.meta.session_id for s in sessions_of(screenconnect, records)]
    again = [
        s.meta.session_id for s in sessions_of(screenconnect, parse_bytes(screenconnect.parse, EVENTS.encode())[0])
    ]
    assert ids == again
    assert len(set(ids)) == 2


def test_session_event_report_without_connections():
    data = (
        "SessionID,SessionName,SessionSessionType,EventType,Time,Host,Data\n"
        "s5,HAZ-BALIE,Access,CreatedSession,2025-03-13 07:40:00,Jan Visser,\n"
        "s5,HAZ-BALIE,Access,QueuedCommand,2025-03-13 07:41:00,Jan Visser,Get-MpComputerStatus\n"
        "s5,HAZ-BALIE,Access,AddedNote,2025-03-13 07:50:00,Jan Visser,Defender-scan verplaatst naar 19:00\n"
    )
    records, rejects = parse_bytes(screenconnect.parse, data.encode())
    assert not rejects
    assert all(r.payload["connection_id"] is None for r in records)
    (session,) = sessions_of(screenconnect, records)
    assert session.context.machine_names == ["HAZ-BALIE"]
    assert [(s.kind, s.text) for s in session.segments] == [
        (SegmentKind.EVENT, "CreatedSession (Jan Visser)"),
        (SegmentKind.COMMAND, "Get-MpComputerStatus"),
        (SegmentKind.NOTE, "Defender-scan verplaatst naar 19:00"),
    ]
    assert all(s.author == "Jan Visser" and s.author_role == AuthorRole.TECH for s in session.segments)


@pytest.mark.parametrize(
    "encode",
    [
        pytest.param(lambda text: text.encode("utf-16-le"), id="utf-16 without BOM"),
        pytest.param(lambda text: text.replace("\r\n", "\r").encode(), id="lone CR line ends"),
        pytest.param(lambda text: text.encode("cp1252"), id="windows-1252"),
    ],
)
def test_encodings_and_line_ends_read_the_same(encode):
    records, rejects = parse_bytes(screenconnect.parse, encode(EVENTS.replace("Kees", "Kéés")))
    assert not rejects
    assert len(records) == 6
    assert any(r.payload.get("participant") == "Kéés" for r in records)
    assert any("HP M404 Error" in (r.payload.get("data") or "") for r in records)


@pytest.mark.parametrize(
    ("kees", "broken"),
    [
        ("Kéés", b"Spo\xefler"),  # one invalid byte
        ("Kées", b"Spo\xed\xa0\x80ler"),  # a UTF-8-encoded surrogate: three bytes that are not UTF-8
        ("Kées", b"Spo\xff\xfe\xfd\xfcler"),  # more bad bytes than good multi-byte characters
    ],
)
def test_one_line_with_bad_bytes_keeps_the_file_utf8(kees, broken):
    data = EVENTS.replace("Kees", kees).encode()
    lines = data.split(b"\r\n")
    lines[5] = lines[5].replace(b"Spooler", broken)  # in the AddedNote row
    records, rejects = parse_bytes(screenconnect.parse, b"\r\n".join(lines))
    assert [(r.location, "not UTF-8" in r.reason) for r in rejects] == [("line 6", True)]
    assert any(r.payload.get("participant") == kees for r in records)  # not re-read as Windows-1252


def test_a_field_opened_and_never_closed_does_not_swallow_the_rows_after_it():
    lines = EVENTS.split("\r\n")
    lines[1] = lines[1].replace(",,Jan Visser", ',"never closed,Jan Visser')
    records, rejects = parse_bytes(screenconnect.parse, "\r\n".join(lines).encode())
    assert [r.location for r in rejects] == ["line 2"]
    assert "never closed" in rejects[0].reason
    assert len(records) == 5


def test_fields_may_be_longer_than_the_csv_default_limit():
    output = "x" * 300_000
    data = EVENTS.replace("Spooler herstart", f'"{output}"').encode()
    records, rejects = parse_bytes(screenconnect.parse, data)
    assert not rejects
    assert any(r.payload.get("data") == output for r in records)
