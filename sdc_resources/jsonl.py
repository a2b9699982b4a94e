"""JSON Lines files of source records: one object per line, sorted, rewritten only when they change."""

import json
from pathlib import Path

from sdc_resources.atomic import write_atomic


def write_jsonl_if_changed(path: Path, items: list[dict], key: str = "id") -> bool:
    """One JSON object per line, sorted by ``key``; rewritten only when the bytes differ, removed when there are
    no items. Whether it changed."""
    if not items:
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed
    ordered = sorted(items, key=lambda i: i[key])
    content = "".join(json.dumps(i, sort_keys=True, ensure_ascii=False) + "\n" for i in ordered).encode()
    if path.exists() and path.read_bytes() == content:
        return False
    write_atomic(path, content)
    return True


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
