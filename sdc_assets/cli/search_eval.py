"""Scoring search on a graded query set: recall@5/@10, MRR@10 and nDCG@10 per query, means overall and per
class, for each way of searching (hybrid, dense only, lexical only).

A set is a folder: ``portal.json`` (a ticketportaal in the layout of ``data/demo/ticketportaal/portal.json``)
and ``queries.jsonl``, one object a line: ``query``, ``class``, ``relevant`` ({"ticket/42": 2, "kb/3": 1}: 2
is the answer, 1 partly relevant). Documents are named by their ``source_ref``.
"""

import json
import math
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from sdc_assets.index.search import MODES

K = 10


def read_queries(folder: Path) -> list[dict]:
    lines = (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def ndcg(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    gain = sum(relevant.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked[:k]))
    ideal = sum(g / math.log2(rank + 2) for rank, g in enumerate(sorted(relevant.values(), reverse=True)[:k]))
    return gain / ideal if ideal else 0.0


def scores(ranked: list[str], relevant: dict[str, int]) -> dict[str, float]:
    """One query's figures for the documents ``ranked`` (best first)."""
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    first = next((rank for rank, doc in enumerate(ranked[:K], start=1) if doc in wanted), None)
    return {
        "recall@5": len(wanted & set(ranked[:5])) / len(wanted),
        "recall@10": len(wanted & set(ranked[:K])) / len(wanted),
        "mrr@10": 1 / first if first else 0.0,
        "ndcg@10": ndcg(ranked, relevant),
    }


def evaluate(queries: list[dict], answers: Callable[[str], list[list[str]]]) -> dict[tuple[str, str], dict]:
    """Mean figures per (mode, class) and (mode, "all"); ``answers(mode)`` ranks every query's documents."""
    table: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for mode in MODES:
        for query, ranked in zip(queries, answers(mode), strict=True):
            for cls in ("all", query["class"]):
                table[(mode, cls)].append(scores(ranked, query["relevant"]))
    return {key: {m: sum(r[m] for r in rows) / len(rows) for m in rows[0]} for key, rows in table.items()}


def format_table(means: dict[tuple[str, str], dict], counts: dict[str, int]) -> str:
    classes = ["all", *sorted(c for c in counts if c != "all")]
    header = "".join(f"{m + ' nDCG@10':>16}" for m in MODES)
    lines = [f"{'class':<14}{'n':>4}  {header}{'hybrid R@5':>12}{'MRR@10':>9}"]
    for cls in classes:
        cells = "".join(f"{means[(m, cls)]['ndcg@10']:>16.3f}" for m in MODES)
        hybrid = means[("hybrid", cls)]
        lines.append(f"{cls:<14}{counts[cls]:>4}  {cells}{hybrid['recall@5']:>12.3f}{hybrid['mrr@10']:>9.3f}")
    return "\n".join(lines)


def class_counts(queries: list[dict]) -> dict[str, int]:
    counts = defaultdict(int, {"all": len(queries)})
    for query in queries:
        counts[query["class"]] += 1
    return dict(counts)
