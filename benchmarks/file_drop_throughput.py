"""Throughput of the file-drop path: parse → day selection → sessions → store.

Builds a synthetic inbox (ScreenConnect events, SillyTavern chats, a notes
export) of about N records per source over 30 days, then times, per source:
the first run (parse into the record cache, select every day, build and write
sessions) and an unchanged re-run (cache hit, nothing rewritten). Prints one
table; ``--json`` prints the same figures as JSON.

    python benchmarks/file_drop_throughput.py --records 20000
"""

import argparse
import json
import random
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sdc_assets.file_drop.assets import build_sessions
from sdc_assets.file_drop.ingest import parse_file, records_of_days
from sdc_assets.file_drop.records import ParseOptions
from sdc_assets.file_drop.sources import FILE_SOURCES
from sdc_assets.sessions.store import SessionStore
from sdc_resources.file_drop import FileDrop

START = datetime(2025, 3, 1, 7, tzinfo=UTC)
WORDS = ["printer", "spooler", "outlook", "wachtwoord", "vpn", "backup", "schijf", "server", "driver", "wifi", "mfa"]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def write_inbox(file_drop: FileDrop, records: int, rng: random.Random) -> None:
    """About ``records`` records per source, spread over 30 days."""
    sc = file_drop.inbox("screenconnect")
    sc.mkdir(parents=True)
    lines = ["SessionID,SessionCustomProperty1,ConnectionID,EventType,Time,Data,Host"]
    for i in range(records):
        when = START + timedelta(days=i % 30, minutes=(i // 30) % 600)
        data = f'"{_text(rng, 12)}\r\n{_text(rng, 8)}"' if i % 3 else ""
        lines.append(f"s{i % 200},Klant {i % 50},c{i % 400},RanCommand,{when:%Y-%m-%d %H:%M:%S},{data},Tech {i % 5}")
    (sc / "events.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")

    chats = file_drop.inbox("sillytavern") / "chats" / "Helper"
    chats.mkdir(parents=True)
    per_file = max(records // 20, 1)
    for f in range(20):
        rows = [json.dumps({"user_name": "Tech", "character_name": "Helper", "create_date": "2025-03-01@08h00m00s"})]
        for m in range(per_file):
            when = START + timedelta(days=m * 30 // per_file, minutes=f * 7 + m % 60)
            rows.append(
                json.dumps(
                    {
                        "name": "Tech" if m % 2 else "Helper",
                        "is_user": bool(m % 2),
                        "is_system": False,
                        "send_date": when.isoformat(),
                        "mes": _text(rng, 25),
                    }
                )
            )
        (chats / f"chat-{f}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")

    notes = file_drop.inbox("notes")
    notes.mkdir(parents=True)
    items = [
        {
            "id": f"n-{i}",
            "type": "todo" if i % 4 == 0 else "note",
            "title": _text(rng, 4),
            "content": _text(rng, 40),
            "customer": f"Klant {i % 50}",
            "created_at": (START + timedelta(days=i % 30, minutes=i % 500)).isoformat(),
            "items": [{"text": _text(rng, 5), "done": bool(i % 2)}] if i % 4 == 0 else None,
        }
        for i in range(records)
    ]
    (notes / "export.json").write_text(json.dumps({"notes": items}), encoding="utf-8")


def run_source(source, file_drop: FileDrop, store: SessionStore) -> dict:
    """One pass: parse (or cache), select every day, build and store sessions."""
    started = time.perf_counter()
    parsed = [parse_file(source, f, f.sha256(), file_drop) for f in file_drop.list_files(source.name, source.patterns)]
    days = sorted({d for p in parsed for d in p.days})
    frame = records_of_days(parsed, days, ParseOptions.of(file_drop))
    written = sessions = 0
    for (day,), group in frame.group_by(["day"], maintain_order=True):
        built, _ = build_sessions(source, group)
        sessions += len(built)
        written += len(store.write_partition(source.name, day, built).written)
    return {"records": frame.height, "sessions": sessions, "written": written, "seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000, help="records per source (default 20000)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        file_drop = FileDrop(data_dir=str(Path(tmp) / "data"))
        store = SessionStore(root=str(Path(tmp) / "data" / "sessions"))
        write_inbox(file_drop, args.records, random.Random(7))
        for source in FILE_SOURCES:
            first, rerun = run_source(source, file_drop, store), run_source(source, file_drop, store)
            results[source.name] = {
                "records": first["records"],
                "sessions": first["sessions"],
                "first_seconds": round(first["seconds"], 3),
                "first_records_per_s": round(first["records"] / first["seconds"]),
                "rerun_seconds": round(rerun["seconds"], 3),
                "rerun_written": rerun["written"],
            }
    peak_rss_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    if args.json:
        print(json.dumps({"sources": results, "peak_rss_mb": peak_rss_mb}, indent=2))
        return
    header = (
        f"{'source':<14}{'records':>9}{'sessions':>10}{'first s':>9}{'records/s':>11}{'rerun s':>9}{'rewritten':>11}"
    )
    print(header)
    print("-" * len(header))
    for name, r in results.items():
        print(
            f"{name:<14}{r['records']:>9}{r['sessions']:>10}{r['first_seconds']:>9.2f}"
            f"{r['first_records_per_s']:>11}{r['rerun_seconds']:>9.2f}{r['rerun_written']:>11}"
        )
    print(f"peak RSS: {peak_rss_mb} MB")


if __name__ == "__main__":
    main()
