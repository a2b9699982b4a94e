"""A poison corpus: files of every file source mixing good records with each kind of record that once
crashed a parser, the record cache or polars. ``write_corpus`` drops them into an inbox and returns what
must come out of them."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

DEEP = "[" * 10_000 + "]" * 10_000
SURROGATE = '"bad \\ud800 text"'  # a lone surrogate escape: valid JSON, not valid Unicode
EVENT_HEADER = (
    "SessionID,SessionName,SessionCustomProperty1,ConnectionID,ConnectionProcessType,"
    "ConnectionParticipantName,EventType,Time,Host,Data"
)


@dataclass
class Expected:
    """What a poison file must give: good sessions, and rejected locations with a word of their reason."""

    relpath: str
    sessions: int
    texts: list[str]
    rejects: dict[str, str] = field(default_factory=dict)
    unreadable: bool = False


def _message(name: str, is_user: bool, when: str, mes: str) -> str:
    return json.dumps({"name": name, "is_user": is_user, "send_date": when, "mes": mes}, ensure_ascii=False)


def sillytavern_file() -> tuple[bytes, Expected]:
    header = json.dumps({"user_name": "Sanne", "character_name": "Helper", "create_date": "2025-03-10@08h00m00s"})
    lines = [
        header.encode(),
        _message("Sanne", True, "2025-03-10T08:00:00+01:00", "Goedemorgen, de café-kassa start niet").encode(),
        ('{"name": "Sanne", "is_user": true, "send_date": "2025-03-10T08:01:00+01:00", "mes": ' + DEEP + "}").encode(),
        (
            '{"name": "Helper", "is_user": false, "send_date": "2025-03-10T08:02:00+01:00", "mes": ' + SURROGATE + "}"
        ).encode(),
        b'{"name": "Sanne", "is_user": true, "send_date": "2025-03-10T08:03:00+01:00", "mes": "caf\xe9 in latin-1"}',
        b'{"name": "Sanne", "is_user": true, "send_date": "2025-03-10T08:04:00+01:00", "mes": "nul\x00byte"}',
        _message(
            "Helper", False, "2025-03-10T08:05:00+01:00", "Herstart de kassa-service; het café draait weer."
        ).encode(),
    ]
    expected = Expected(
        "chats/Helper/poison.jsonl",
        sessions=1,
        texts=["de café-kassa start niet", "het café draait weer"],
        rejects={"line 3": "nested deeper", "line 4": "lone surrogate", "line 5": "not UTF-8", "line 6": "NUL"},
    )
    return b"\n".join(lines) + b"\n", expected


def notes_file() -> tuple[bytes, Expected]:
    good = {"id": "n1", "title": "Café-router", "content": "Router bij het café vervangen.", "created_at": "2025-03-11"}
    later = {"id": "n5", "title": "Back-up", "content": "Back-up gecontroleerd: in orde.", "created_at": "2025-03-11"}
    body = (
        "["
        + json.dumps(good, ensure_ascii=False)
        + ', {"id": "n2", "created_at": "2025-03-11", "content": '
        + DEEP
        + "}"
        + ', {"id": "n3", "created_at": "2025-03-11", "content": '
        + SURROGATE
        + "}"
        + ', {"id": "n4", "created_at": "2025-03-11", "content": 5}, '
        + json.dumps(later, ensure_ascii=False)
        + "]"
    )
    expected = Expected(
        "poison.json",
        sessions=2,
        texts=["Router bij het café vervangen.", "Back-up gecontroleerd"],
        rejects={"notes[1]": "nested deeper", "notes[2]": "lone surrogate", "notes[3]": "must be text"},
    )
    return body.encode("utf-8"), expected


def _event(session: str, when: str, data: str, kind: str = "RanCommand") -> str:
    quoted = '"' + data.replace('"', '""') + '"'
    return f"{session},Kassa,Café De Hoek,c-{session[-1]},Host,Priya,{kind},{when},Priya,{quoted}"


def screenconnect_file() -> tuple[bytes, Expected]:
    huge = "x" * 200_000  # over csv's default 128 KiB field limit: long command output
    s1, s2 = "0a1b2c3d-0000-0000-0000-000000000001", "0a1b2c3d-0000-0000-0000-000000000002"
    rows = [
        EVENT_HEADER.encode(),
        _event(s1, "2025-03-12 09:00:00", "ipconfig /all\nWindows IP-configuratie\ncafé-wifi").encode(),  # lines 2-4
        _event(s1, "2025-03-12 09:01:00", huge).encode(),  # line 5
        _event(s1, "2025-03-12 09:02:00", "nul\x00byte").encode(),  # line 6
        _event(s1, "2025-03-12 09:03:00", "caf").encode() + b"\xe9 latin-1",  # line 7: invalid UTF-8
        f'{s1},Kassa,Café De Hoek,c-1,Host,Priya,RanCommand,2025-03-12 09:04:00,Priya,"never closed'.encode(),  # 8
        _event(s2, "2025-03-12 10:00:00", "Kassa werkt weer, café open", "AddedNote").encode(),  # line 9
    ]
    expected = Expected(
        "poison.csv",
        sessions=2,
        texts=["café-wifi", "Kassa werkt weer, café open"],
        rejects={"line 6": "NUL", "line 7": "not UTF-8", "line 8": "never closed"},
    )
    return b"\n".join(rows) + b"\n", expected


def binary_file() -> tuple[bytes, Expected]:
    return bytes(range(256)) * 8, Expected("binary.csv", sessions=0, texts=[], unreadable=True)


CORPUS = {
    "sillytavern": [sillytavern_file],
    "notes": [notes_file],
    "screenconnect": [screenconnect_file, binary_file],
}


def write_corpus(inbox: Path) -> dict[str, list[Expected]]:
    """Write every poison file under ``inbox/<source>/``; what each must give, per source."""
    expected: dict[str, list[Expected]] = {}
    for source, makers in CORPUS.items():
        for make in makers:
            data, want = make()
            path = inbox / source / want.relpath
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            expected.setdefault(source, []).append(want)
    return expected
