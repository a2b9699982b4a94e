"""Scoring linking on a labelled set: precision, recall per kind of evidence, false links on sessions that
belong to no customer.

A set is a folder: ``syncro/customers.json``, ``contacts.json``, ``customer_assets.json`` (listings as the
API returns their items), ``msp.json`` (``name``, ``domains``, ``staff``), ``inbox/<source>/`` with files in
the sources' own formats, and ``labels.csv`` (``source, file, locator, customer_id, evidence, note``): the
locator is a ScreenConnect session id, an RMM ``rmm/<computer>/<session name>``, a note id, or a phrase
found in the session's text. Sessions are built from the files by the same parsers a run uses.
"""

import csv
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sdc_assets.enrichment.customer_index import PLACEHOLDER_CLIENTS, CustomerIndex, Msp
from sdc_assets.enrichment.linking import Link, link_session
from sdc_assets.file_drop.assets import build_sessions, parse_inbox
from sdc_assets.file_drop.ingest import records_of_days
from sdc_assets.file_drop.records import ParseOptions
from sdc_assets.file_drop.sources import FILE_SOURCES
from sdc_assets.sessions.model import Session
from sdc_assets.syncro.customers import customer_cache_table
from sdc_resources.file_drop import FileDrop


@dataclass(frozen=True)
class Label:
    source: str
    file: str
    locator: str
    customer_id: str | None
    evidence: str


@dataclass
class Outcome:
    label: Label
    link: Link | None  # None: no session matched the label


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)

    @property
    def linked(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.link and o.link.linked]

    @property
    def precision(self) -> float:
        linked = self.linked
        return sum(o.link.customer_id == o.label.customer_id for o in linked) / len(linked) if linked else 1.0

    def recall(self, evidence: str | None = None) -> float:
        wanted = [o for o in self.outcomes if o.label.customer_id and evidence in (None, o.label.evidence)]
        right = sum(1 for o in wanted if o.link and o.link.customer_id == o.label.customer_id)
        return right / len(wanted) if wanted else 1.0

    def false_links(self, evidence: str | None = None) -> int:
        """Sessions of no customer (of ``evidence``'s kind) that were linked anyway."""
        return sum(
            1
            for o in self.outcomes
            if not o.label.customer_id and evidence in (None, o.label.evidence) and o.link and o.link.linked
        )

    def kinds(self) -> Counter[str]:
        return Counter(o.label.evidence for o in self.outcomes)

    def wrong(self) -> list[str]:
        """Each session linked to the wrong customer, or not linked although it has one."""
        lines = []
        for o in self.outcomes:
            got = o.link.customer_id if o.link else "no session"
            if got != o.label.customer_id:
                method = o.link.method if o.link else "-"
                lines.append(f"{o.label.evidence}: {o.label.file} {o.label.locator[:40]!r}: {got} ({method}), "
                             f"expected {o.label.customer_id}")  # fmt: skip
        return lines


def read_labels(folder: Path) -> list[Label]:
    with open(folder / "labels.csv", encoding="utf-8-sig", newline="") as stream:
        return [
            Label(r["source"], r["file"], r["locator"], r["customer_id"].strip() or None, r["evidence"].strip())
            for r in csv.DictReader(stream)
        ]


def read_index(folder: Path) -> tuple[CustomerIndex, Msp]:
    def listing(name: str) -> list[dict]:
        path = folder / "syncro" / f"{name}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else []

    table = customer_cache_table(listing("customers"), listing("contacts"), listing("customer_assets"))
    msp_path = folder / "msp.json"
    config = json.loads(msp_path.read_text(encoding="utf-8")) if msp_path.exists() else {}
    names = config.get("name") or []
    staff = [p.get("name", "") if isinstance(p, dict) else str(p) for p in config.get("staff", [])]
    names = names if isinstance(names, list) else [names]
    msp = Msp.of(names, config.get("domains", []), staff, list(PLACEHOLDER_CLIENTS))
    return CustomerIndex.from_cache(table), msp


def read_sessions(folder: Path) -> list[Session]:
    """The sessions the set's inbox holds, as a run would build them."""
    with tempfile.TemporaryDirectory() as work:
        inbox = {f"{s.name}_inbox": str(folder / "inbox" / s.name) for s in FILE_SOURCES}
        file_drop = FileDrop(data_dir=work, **inbox)
        sessions = []
        for source in FILE_SOURCES:
            files = parse_inbox(source, file_drop, lambda _: None)
            days = {day for f in files for day in f.days}
            frame = records_of_days(files, days, ParseOptions.of(file_drop))
            sessions += build_sessions(source, frame)[0] if frame.height else []
        return sessions


def evaluate(folder: Path, threshold: float = 0.9, margin: float = 0.06) -> Report:
    index, msp = read_index(folder)
    sessions = read_sessions(folder)
    report = Report()
    for label in read_labels(folder):
        matches = [s for s in sessions if _matches(s, label)]
        if len(matches) != 1:
            report.unmatched.append(f"{label.source} {label.file} {label.locator!r}: {len(matches)} sessions")
            report.outcomes.append(Outcome(label, None))
            continue
        report.outcomes.append(Outcome(label, link_session(matches[0], index, threshold, margin, msp)))
    return report


def _matches(session: Session, label: Label) -> bool:
    if session.meta.source_system.value != label.source:
        return False
    file = label.file.removeprefix(f"inbox/{label.source}/")  # relative to the source's inbox, or to the set
    if not any(f == file or f.endswith("/" + file) for f in session.meta.source_files):
        return False
    if label.locator in session.meta.source_ref:
        return True
    text = " ".join(s.text for s in session.segments) + json.dumps(session.context.attributes, ensure_ascii=False)
    return label.locator in text
