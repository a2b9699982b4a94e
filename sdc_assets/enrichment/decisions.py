"""People's linking decisions: ``data/review/decisions.csv``, one row per session a technician settled.

Columns ``session_id`` and ``customer_id`` (a Syncro customer id, or ``none`` for "no customer"), as in the
day's review file, which has both; other columns are ignored, and a row whose ``customer_id`` is empty is no
decision (a review file saved whole settles only the rows filled in). A decision is applied as the
``manual`` method and no later run, ``relink`` included, overwrites it.
"""

import csv
from pathlib import Path

DECISIONS_FILE = "decisions.csv"
NO_CUSTOMER = {"none", "geen", "-"}


def read_decisions(path: Path) -> tuple[dict[str, str | None], list[str]]:
    """Session id → customer id (None: no customer), and the problems of rows that could not be read."""
    if not path.exists():
        return {}, []
    decisions: dict[str, str | None] = {}
    problems: list[str] = []
    with open(path, encoding="utf-8-sig", newline="") as stream:
        reader = csv.DictReader(stream)
        if not reader.fieldnames or not {"session_id", "customer_id"} <= set(reader.fieldnames):
            return {}, [f"{path}: needs the columns session_id and customer_id; no decision read"]
        for line, row in enumerate(reader, start=2):
            session = (row.get("session_id") or "").strip()
            if not session:
                problems.append(f"{path}:{line}: no session_id; row skipped")
                continue
            customer = (row.get("customer_id") or "").strip()
            if customer:
                decisions[session] = None if customer.lower() in NO_CUSTOMER else customer
    return decisions, problems
