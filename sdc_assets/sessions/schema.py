"""The Session model's JSON Schema, as published in data/schema/session.schema.json."""

import json
import sys
from pathlib import Path

from sdc_assets.sessions.model import Session


def session_schema_json() -> str:
    return json.dumps(Session.model_json_schema(mode="serialization"), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(session_schema_json(), encoding="utf-8")


if __name__ == "__main__":
    write_schema(Path(sys.argv[1] if len(sys.argv) > 1 else "data/schema/session.schema.json"))
