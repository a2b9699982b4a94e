"""Search quality on a graded query set: recall@5/@10, MRR@10 and nDCG@10, overall and per query class, for
hybrid search beside dense-only and lexical-only (BM25) over the same chunks.

    python benchmarks/search_eval.py SET [--work DIR]

SET holds ``portal.json`` (a ticketportaal in the layout of data/demo/ticketportaal/portal.json) and
``queries.jsonl`` (one object a line: ``query``, ``class``, ``relevant``: {"ticket/42": 2, "kb/3": 1, ...}).
The portal is loaded and indexed the way a user does it (``sdc demo-portal``, ``sdc ingest --source
ticketportaal``, in a fresh data folder), and every query runs through ``sdc search --batch``.
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

MODES = ("hybrid", "dense", "lexical")
K = 10


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


def ndcg(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    gain = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal = sum(g / math.log2(rank + 2) for rank, g in enumerate(sorted(relevant.values(), reverse=True)[:k]))
    return gain / ideal if ideal else 0.0


def scores(ranked: list[str], relevant: dict[str, int]) -> dict[str, float]:
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    first = next((rank for rank, doc in enumerate(ranked[:K], start=1) if doc in wanted), None)
    return {
        "recall@5": len(wanted & set(ranked[:5])) / len(wanted),
        "recall@10": len(wanted & set(ranked[:K])) / len(wanted),
        "mrr@10": 1 / first if first else 0.0,
        "ndcg@10": ndcg(ranked, relevant),
    }


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
    queries = [json.loads(line) for line in (args.set / "queries.jsonl").read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as scratch:
        work = args.work or Path(scratch)
        env = build_index(args.set, work)
        table: dict[tuple[str, str], list[dict]] = defaultdict(list)
        for mode in MODES:
            for query, ranked in zip(queries, run(queries, env, mode, work), strict=True):
                for cls in ("all", query["class"]):
                    table[(mode, cls)].append(scores(ranked, query["relevant"]))
    classes = ["all", *sorted({q["class"] for q in queries})]
    print(f"{args.set}: {len(queries)} queries")
    header = "".join(f"{m + ' nDCG@10':>16}" for m in MODES)
    print(f"{'class':<14}{'n':>4}  {header}{'hybrid R@5':>12}{'MRR@10':>9}")
    for cls in classes:
        rows = {mode: table[(mode, cls)] for mode in MODES}
        mean = {m: {key: sum(r[key] for r in rows[m]) / len(rows[m]) for key in rows[m][0]} for m in MODES}
        cells = "".join(f"{mean[m]['ndcg@10']:>16.3f}" for m in MODES)
        hybrid = mean["hybrid"]
        print(f"{cls:<14}{len(rows['hybrid']):>4}  {cells}{hybrid['recall@5']:>12.3f}{hybrid['mrr@10']:>9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
