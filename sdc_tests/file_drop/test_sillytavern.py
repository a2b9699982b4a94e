import json
from datetime import timedelta

from sdc_assets.file_drop import sillytavern
from sdc_assets.file_drop.records import ParseOptions
from sdc_assets.sessions.model import AuthorRole

from .helpers import parse_bytes, sessions_of


def jsonl(*lines) -> bytes:
    return "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines).encode() + b"\n"


def msg(name, is_user, send_date, mes, **extra):
    return {"name": name, "is_user": is_user, "is_system": False, "send_date": send_date, "mes": mes, **extra}


HEADERS = {
    "full": {
        "user_name": "Sanne",
        "character_name": "IT Assistent",
        "create_date": "2025-03-10@08h55m12s",
        "chat_metadata": {"note_prompt": ""},
    },
    "imported": {"user_name": "Sanne", "character_name": "IT Assistent", "create_date": "2025-3-10 @08h 55m 12s 1ms"},
    "recent": {"chat_metadata": {"integrity": "0e7c5b1a"}, "user_name": "unused", "character_name": "unused"},
}


def test_all_three_header_shapes_name_character_and_user():
    for shape, header in HEADERS.items():
        data = jsonl(
            header,
            msg("Sanne", True, "2025-03-10T08:55:12Z", "Hoi"),
            msg("IT Assistent", False, 1741597000000, "Hallo"),
        )
        records, rejects = parse_bytes(sillytavern.parse, data, "chats/IT Assistent/chat.jsonl")
        assert not rejects, shape
        (session,) = sessions_of(sillytavern, records)
        assert session.context.attributes["character"] == "IT Assistent", shape
        assert session.context.contact_name == "Sanne", shape
        assert [s.author_role for s in session.segments] == [AuthorRole.USER, AuthorRole.ASSISTANT]


def test_headerless_group_chat():
    data = jsonl(
        msg("Jan", True, "2025-3-14@09h31m37s", "P: werkt niet"),
        msg("IT Assistent", False, "2025-3-14@09h35m37s", "SMB1?"),
        msg("Network Guru", False, "2025-3-14@09h36m00s", "Check the NAS"),
    )
    records, _ = parse_bytes(sillytavern.parse, data, "group chats/1741944697000.jsonl")
    (session,) = sessions_of(sillytavern, records)
    assert session.context.attributes["group_chat"] is True
    assert "character" not in session.context.attributes
    assert session.context.attributes["participants"] == ["IT Assistent", "Jan", "Network Guru"]


def test_file_is_split_at_gaps_of_inactivity():
    data = jsonl(
        HEADERS["full"],
        msg("Sanne", True, "2025-03-10T08:00:00Z", "a"),
        msg("IT Assistent", False, "2025-03-10T09:59:00Z", "b"),
        msg("Sanne", True, "2025-03-10T12:00:00Z", "c"),
        msg("Sanne", True, "2025-03-11T12:00:00Z", "d"),
    )
    records, _ = parse_bytes(sillytavern.parse, data, "chats/A/a.jsonl")
    assert len({r.session_key for r in records}) == 3
    records, _ = parse_bytes(sillytavern.parse, data, "chats/A/a.jsonl", ParseOptions(chat_gap=timedelta(days=2)))
    assert len({r.session_key for r in records}) == 1


def test_hidden_messages_kept_and_marked_and_unknown_keys_kept():
    data = jsonl(
        HEADERS["full"],
        {**msg("Sanne", True, "2025-03-10T08:00:00Z", "verborgen"), "is_system": True},
        msg(
            "Verteller",
            False,
            "2025-03-10T08:01:00Z",
            "De scène",
            extra={"type": "narrator", "api": "kobold"},
            swipes=["De scène", "Alt"],
            swipe_id=0,
            x_plugin={"rating": 5},
        ),
    )
    records, _ = parse_bytes(sillytavern.parse, data, "chats/A/a.jsonl")
    hidden, narrator = sessions_of(sillytavern, records)[0].segments
    assert hidden.hidden is True
    assert hidden.text == "verborgen"
    assert narrator.author_role == AuthorRole.SYSTEM
    assert narrator.source_meta["x_plugin"] == {"rating": 5}
    assert narrator.source_meta["swipes"] == ["De scène", "Alt"]
    assert narrator.source_meta["extra"]["api"] == "kobold"


def test_bad_lines_are_rejected_and_unreadable_dates_borrow_a_neighbour():
    data = jsonl(
        HEADERS["full"],
        msg("Sanne", True, "June 19, 2023 2:20pm", "eerste"),
        '{"name": "Sanne", "mes": "kapot',
        "[1, 2]",
        {"name": "x", "mes": 42},
        {"user_name": "again"},
        msg("IT Assistent", False, "ooit", "tweede"),
    )
    records, rejects = parse_bytes(sillytavern.parse, data, "chats/A/a.jsonl")
    assert [r.location for r in rejects] == ["line 3", "line 4", "line 5", "line 6"]
    assert "invalid JSON" in rejects[0].reason
    assert "found list" in rejects[1].reason
    first, second = sessions_of(sillytavern, records)[0].segments
    assert second.timestamp == first.timestamp
    assert second.source_meta["time_inferred"] is True
    assert second.source_meta["send_date"] == "ooit"


def test_a_chat_with_no_readable_date_at_all_is_rejected_whole():
    records, rejects = parse_bytes(sillytavern.parse, jsonl(msg("a", True, "?", "x"), msg("b", False, None, "y")))
    assert not records
    assert len(rejects) == 2
