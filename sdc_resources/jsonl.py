"""JSON Lines files of source records: one object per line, sorted, rewritten only when they change."""

import json
from pathlib import Path

from sdc_resources.atomic import write_atomic


def jsonl_bytes(items: list[dict], sort_keys: bool = False) -> bytes:
    """One JSON object a line, Unicode kept as it is."""
    return "".join(json.dumps(i, sort_keys=sort_keys, ensure_ascii=False) + "\n" for i in items).encode()


def write_jsonl(path: Path, items: list[dict]) -> None:
    """``items`` in their order, written atomically."""
    write_atomic(path, jsonl_bytes(items))


def write_jsonl_if_changed(path: Path, items: list[dict], key: str = "id") -> bool:
    """One JSON object per line, sorted by ``key``; rewritten only when the bytes differ, removed when there are
    no items. Whether it changed."""
    if not items:
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed
    ordered = sorted(items, key=lambda i: i[key])
    content = jsonl_bytes(ordered, sort_keys=True)
    if path.exists() and path.read_bytes() == content:
        return False
    write_atomic(path, content)
    return True


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
