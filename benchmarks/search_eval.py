"""Search quality on a graded query set: recall@5/@10, MRR@10 and nDCG@10, overall and per query class, for
hybrid search beside dense-only and lexical-only (BM25) over the same chunks.

    python benchmarks/search_eval.py SET [--work DIR]

SET holds ``portal.json`` (a ticketportaal in the layout of data/demo/ticketportaal/portal.json) and
``queries.jsonl`` (one object a line: ``query``, ``class``, ``relevant``: {"ticket/42": 2, "kb/3": 1, ...}); the
layout and the scoring are in sdc_assets/cli/search_eval.py. ``lexical`` is BM25 over the same chunks.
The portal is loaded and indexed the way a user does it (``sdc demo-portal``, ``sdc ingest --source
ticketportaal``, in a fresh data folder), and every query runs through ``sdc search --batch``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sdc_assets.cli.search_eval import K, class_counts, evaluate, format_table, read_queries


def sdc(*args: str, env: dict) -> str:
    result = subprocess.run([str(Path(sys.executable).parent / "sdc"), *args], env=env, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"sdc {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-2000:]}")
    return result.stdout


def build_index(folder: Path, work: Path) -> dict:
    env = {**os.environ, "SDC_DATA_DIR": str(work / "data"), "DAGSTER_HOME": str(work / "dagster")}
    (work / "dagster").mkdir(parents=True, exist_ok=True)
    portal = work / "portal.sqlite"
    sdc("demo-portal", str(portal), "--sample", str(folder / "portal.json"), env=env)
    env["TICKETPORTAAL_SQLITE"] = str(portal)
    sdc("ingest", "--quiet", "--allow-quarantine", "--source", "ticketportaal", env=env)
    return env


def run(queries: list[dict], env: dict, mode: str, work: Path) -> list[list[str]]:
    batch = work / f"queries-{mode}.jsonl"
    batch.write_text("".join(json.dumps({"query": q["query"], "k": K, "mode": mode}) + "\n" for q in queries))
    answers = [json.loads(line) for line in sdc("search", "--batch", str(batch), env=env).splitlines()]
    return [[h["source_ref"] for h in a.get("hits", [])] for a in answers]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("set", type=Path)
    parser.add_argument("--work", type=Path, help="keep the index here (default: a temporary folder)")
    args = parser.parse_args()
    queries = read_queries(args.set)
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        env = build_index(args.set, work)
        means = evaluate(queries, lambda mode: run(queries, env, mode, work))
    print(f"{args.set}: {len(queries)} queries")
    print(format_table(means, class_counts(queries)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
