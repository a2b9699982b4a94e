"""Random and truncated input never raises anything but the project's own parse error."""

import io
import json
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sdc_assets.file_drop.records import Record, Rejected, SourceParseError
from sdc_assets.file_drop.sources import FILE_SOURCES

from ..conftest import DEMO
from .helpers import OPTIONS

SAMPLES = {
    source.name: [p.read_bytes() for p in sorted((DEMO / source.name).rglob("*")) if p.is_file()]
    for source in FILE_SOURCES
}
PATHS = {"screenconnect": "x.csv", "sillytavern": "chats/Bot/x.jsonl", "notes": "x.json"}
FUZZ = settings(
    max_examples=int(os.environ.get("SDC_FUZZ_EXAMPLES", "60")),
    deadline=None,
    derandomize=bool(os.environ.get("CI")),  # CI replays the same examples; local runs explore new ones
    suppress_health_check=[HealthCheck.too_slow],
)


def _parse_survives(source_name: str, data: bytes) -> None:
    """Parsing yields records and rejects or raises SourceParseError; every record builds a Session."""
    source = next(s for s in FILE_SOURCES if s.name == source_name)
    groups: dict[str, list[Record]] = {}
    try:
        for item in source.parse(io.BytesIO(data), PATHS[source_name], OPTIONS):
            assert isinstance(item, Record | Rejected)
            if isinstance(item, Record):
                json.dumps(item.payload)  # the record cache stores payloads as JSON
                groups.setdefault(item.session_key, []).append(item)
    except SourceParseError as exc:
        assert exc.file == PATHS[source_name]
        assert exc.reason
    for key, records in groups.items():
        source.build_session(key, records, [PATHS[source_name]], "2025-01-01")


@FUZZ
@given(source=st.sampled_from(sorted(SAMPLES)), data=st.binary(max_size=2000))
def test_random_bytes(source, data):
    _parse_survives(source, data)


@FUZZ
@given(source=st.sampled_from(sorted(SAMPLES)), pick=st.integers(0, 10), cut=st.floats(0, 1))
def test_truncated_real_files(source, pick, cut):
    sample = SAMPLES[source][pick % len(SAMPLES[source])]
    _parse_survives(source, sample[: int(len(sample) * cut)])


@FUZZ
@given(
    source=st.sampled_from(sorted(SAMPLES)), pick=st.integers(0, 10), at=st.floats(0, 1), junk=st.binary(max_size=40)
)
def test_corrupted_real_files(source, pick, at, junk):
    sample = SAMPLES[source][pick % len(SAMPLES[source])]
    i = int(len(sample) * at)
    _parse_survives(source, sample[:i] + junk + sample[i + len(junk) :])


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
note_like = st.fixed_dictionaries(
    {},
    optional={
        "id": json_values,
        "type": st.sampled_from(["note", "todo", "x"]) | json_values,
        "title": json_values,
        "content": json_values,
        "created_at": st.sampled_from(["2024-03-05", "2024-03-05T10:00:00+01:00", "nope"]) | json_values,
        "items": json_values,
        "tags": json_values,
    },
)
message_like = st.fixed_dictionaries(
    {},
    optional={"name": json_values, "is_user": json_values, "is_system": json_values, "mes": json_values,
              "send_date": st.sampled_from(["2024-7-12@01h31m37s", "June 19, 2023 2:20pm", 1e12]) | json_values,
              "extra": json_values},
)  # fmt: skip


@FUZZ
@given(notes=st.lists(note_like | json_values, max_size=6))
def test_structurally_odd_notes(notes):
    _parse_survives("notes", json.dumps({"notes": notes}).encode())


@FUZZ
@given(lines=st.lists(message_like | json_values, max_size=6))
def test_structurally_odd_chat_lines(lines):
    _parse_survives("sillytavern", "\n".join(json.dumps(line) for line in lines).encode())
