"""Running a parser over bytes in memory."""

import io

from sdc_assets.file_drop.records import ParseOptions, Record, Rejected

OPTIONS = ParseOptions()


def parse_bytes(parser, data: bytes, file: str = "x", options: ParseOptions = OPTIONS):
    items = list(parser(io.BytesIO(data), file, options))
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, Rejected)]


def sessions_of(module, records: list[Record]) -> list:
    """Group records by session key the way the sessions asset does, and build each session."""
    groups: dict[str, list[Record]] = {}
    for record in records:
        groups.setdefault(record.session_key, []).append(record)
    return [module.build_session(key, group, ["x"], "2025-01-01") for key, group in groups.items()]
