"""``sdc ingest --source ticketportaal`` as a user runs it: cold, then at once with nothing changed.

Fills a scratch MariaDB database (127.0.0.1:3306, root) with the portal's own schema and N
synthetic Dutch tickets (about 4 comments, 5 dynamic-field values and 0.7 CI links each; 100
CIs; a few KB articles) over a span of days with realistic gaps (runs of busy days between
quiet stretches), then times the command in a subprocess against a fresh data folder, twice.
For each run it reports wall-clock seconds, the Dagster runs it made, the files under the data
folder it created, changed or removed, the vectors and graph rows it wrote (from the runs'
materialization metadata) and the command's peak RSS. ``--json`` prints one object.

    python benchmarks/ticketportaal_sync.py --tickets 1000              # 341 days with gaps
    python benchmarks/ticketportaal_sync.py --tickets 10000 --span 20 --no-gaps
"""

import argparse
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import sqlalchemy as sa
from dagster._core.instance.ref import InstanceRef

from sdc_resources.sql_database import SqlDatabase
from sdc_resources.ticketportaal_schema import create_schema, load_rows

ROOT = Path(__file__).resolve().parent.parent
VECTOR_WRITES = ("add", "upsert", "update_metadata", "delete")
MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root"}
FIRST = datetime(2025, 1, 6, 7)
DEPARTMENTS = ["Financiën", "HR", "Verkoop", "Inkoop", "ICT", "Logistiek", "Directie"]
PROBLEMS = [
    ("Printer {host} drukt niet af", "De printer {host} op {dept} drukt niet af; taken blijven in de wachtrij staan."),
    ("Outlook crasht na update", "Outlook crasht bij het openen van de gedeelde agenda sinds de update op {host}."),
    ("VPN valt weg", "Thuis valt de VPN verbinding om de {n} minuten weg, ook na herstarten van {host}."),
    ("Wachtwoord verlopen", "Ik kan niet inloggen op {host}, mijn wachtwoord is verlopen sinds {n} dagen."),
    ("Laptop start niet op", "Laptop {host} blijft hangen op het logo na de BIOS-update van vanochtend."),
    ("Scherm geeft geen beeld", "Het tweede scherm aan {host} geeft geen beeld via het docking station."),
    ("Teams geen geluid", "In Teams hoort niemand mij op {host}; de headset werkt wel in andere apps."),
    ("Schijf bijna vol", "Schijf C: op {host} is voor {n} procent vol, programma's worden traag."),
    ("Toegang tot share", "Ik heb geen toegang meer tot de share van {dept} vanaf {host}."),
    ("MFA-code komt niet", "De MFA-melding komt niet binnen op mijn nieuwe telefoon, ik zit vast op {host}."),
]
REPLIES = [
    "Ik kijk er vandaag naar.",
    "Kun je een screenshot van de foutmelding sturen?",
    "Heb je {host} al opnieuw opgestart?",
    "Ik neem zo contact op via Teams.",
    "Het probleem treedt nog steeds op na {n} minuten.",
    "Intern: driver versie {n}.2 opnieuw uitrollen via Intune.",
    "Graag testen of het nu werkt.",
    "Dank je, het werkt weer!",
    "Ticket doorgezet naar de tweede lijn.",
    "Intern: zelfde melding als vorige week bij {dept}.",
]
RESOLUTIONS = [
    "Printerdriver opnieuw geïnstalleerd en de print spooler herstart; afdrukken werkt weer.",
    "Online herstel van Microsoft 365 uitgevoerd; Outlook start weer zonder te crashen.",
    "FortiClient bijgewerkt en DPD-timeout verhoogd; de VPN blijft verbonden.",
    "Wachtwoord gereset en MFA opnieuw gekoppeld.",
    "BIOS hersteld via de recovery-USB en de update opnieuw uitgevoerd.",
    "DisplayLink-driver bijgewerkt en het docking station gereset.",
    "Audio-apparaat in Teams ingesteld op de headset.",
    "Tijdelijke bestanden opgeruimd en OneDrive-bestanden op aanvraag gezet.",
    "Rechten op de share hersteld in de juiste AD-groep.",
    "Authenticator-app opnieuw gekoppeld via aka.ms/mfasetup.",
]


def active_days(span: int, gaps: bool, rng: random.Random) -> list[int]:
    """Day offsets with tickets: runs of 1-20 busy days between quiet stretches of 1-8 days (``gaps``), or all."""
    if not gaps:
        return list(range(span))
    days, day = [], 0
    while day < span:
        busy = rng.randint(1, 20)
        days += range(day, min(day + busy, span))
        day += busy + rng.randint(1, 8)
    return days


def portal_rows(tickets: int, days: list[int], rng: random.Random) -> dict[str, list[dict]]:
    """A synthetic portal shaped like the real one, its tickets created on ``days`` (offsets from FIRST)."""
    users = [
        dict(
            user_id=u,
            email=f"user{u}@kruitkramer.nl",
            first_name=f"Voornaam{u}",
            last_name=f"Achternaam{u}",
            department=rng.choice(DEPARTMENTS),
            role="agent" if u <= 8 else "user",
            location="Utrecht",
        )
        for u in range(1, 61)
    ]
    categories = [
        dict(category_id=c, name=n, sla_hours=8 * c)
        for c, n in enumerate(["Hardware", "Software", "Netwerk", "Account", "Werkplek", "Overig"], 1)
    ]
    fields = [
        dict(
            field_id=c * 10 + k,
            category_id=c,
            field_name=f"veld_{k}",
            field_label=label,
            field_type="text",
            field_order=k,
        )
        for c in range(1, 7)
        for k, label in enumerate(["Merk", "Model", "Locatie", "Softwarenaam", "Versie"], 1)
    ]
    cis = [
        dict(
            ci_id=i,
            ci_number=f"CI-2025-{i:04d}",
            type="Hardware" if i % 4 else "Software",
            category="Laptop",
            brand=rng.choice(["HP", "Dell", "Lenovo"]),
            model=f"EliteBook {800 + i}",
            name=f"LT-{i:03d}",
            serial_number=f"SN{i:06d}X",
            asset_tag=f"KK-{i:04d}",
            status="Afgeschreven" if i % 25 == 0 else "In gebruik",
            department=rng.choice(DEPARTMENTS),
            created_at=FIRST,
            updated_at=FIRST,
        )
        for i in range(1, 101)
    ]
    kb = [
        dict(
            kb_id=k + 1,
            category_id=(k % 6) + 1,
            title=PROBLEMS[k][0].format(host="de printer"),
            content=f"<p>{RESOLUTIONS[k]}</p><ol><li>Stap één.</li><li>Stap twee.</li></ol>",
            tags="printer,driver",
            author_id=1 + k % 8,
            is_published=k != 9,
            created_at=FIRST,
            updated_at=FIRST,
        )
        for k in range(10)
    ]
    rows: dict[str, list[dict]] = {"ticket_comments": [], "ticket_field_values": [], "ticket_ci_relations": []}
    rows["tickets"] = []
    for t in range(1, tickets + 1):
        kind = rng.randrange(len(PROBLEMS))
        ci = rng.randint(1, 100)
        words = {"host": f"LT-{ci:03d}", "dept": rng.choice(DEPARTMENTS), "n": rng.randint(2, 60)}
        created = FIRST + timedelta(days=days[t % len(days)], minutes=rng.randint(0, 600))
        status = rng.choices(["closed", "resolved", "open", "in_progress", "pending"], [70, 10, 8, 8, 4])[0]
        done = status in ("closed", "resolved")
        rows["tickets"].append(
            dict(
                ticket_id=t,
                ticket_number=f"KK-2025-{t:04d}",
                user_id=rng.randint(9, 60),
                assigned_agent_id=rng.randint(1, 8) if rng.random() < 0.9 else None,
                category_id=kind % 6 + 1,
                title=PROBLEMS[kind][0].format(**words),
                description=PROBLEMS[kind][1].format(**words),
                status=status,
                created_at=created,
                updated_at=created + timedelta(hours=4),
                resolved_at=created + timedelta(hours=3) if done else None,
                resolution=RESOLUTIONS[kind] if done else None,
            )
        )
        for c in range(rng.choice([2, 3, 4, 5, 6])):
            reply = rng.choice(REPLIES)
            rows["ticket_comments"].append(
                dict(
                    comment_id=t * 10 + c,
                    ticket_id=t,
                    user_id=rng.randint(1, 60),
                    comment=reply.format(**words),
                    is_internal=reply.startswith("Intern"),
                    created_at=created + timedelta(minutes=20 * (c + 1)),
                )
            )
        for k in range(1, 6):
            value = [words["host"], "EliteBook", words["dept"], "Outlook", f"{rng.randint(2300, 2412)}"][k - 1]
            rows["ticket_field_values"].append(
                dict(value_id=t * 10 + k, ticket_id=t, field_id=(kind % 6 + 1) * 10 + k, field_value=value)
            )
        if rng.random() < 0.7:
            rows["ticket_ci_relations"].append(dict(relation_id=t, ticket_id=t, ci_id=ci))
    return {
        "users": users,
        "categories": categories,
        "category_fields": fields,
        "configuration_items": cis,
        "knowledge_base": kb,
        **rows,
    }


def _scratch(prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with SqlDatabase(**MARIADB, database="test").connect() as connection:
        connection.execute(sa.text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    return name


def _drop(name: str) -> None:
    with SqlDatabase(**MARIADB, database="test").connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))


def _files(data: Path) -> dict[str, tuple[int, int]]:
    """Every file of the data folder but Dagster's own and the log: path → (size, mtime)."""
    return {
        str(p.relative_to(data)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in data.rglob("*")
        if p.is_file() and p.relative_to(data).parts[0] not in ("dagster", "logs")
    }


def _sample_rss(pid: int, samples: list[tuple[float, int]]) -> None:
    """The process's resident memory (MB) twice a second, until it ends."""
    status = Path(f"/proc/{pid}/status")
    while True:
        try:
            line = next(x for x in status.read_text().splitlines() if x.startswith("VmRSS:"))
        except (OSError, StopIteration):
            return
        samples.append((time.time(), int(line.split()[1]) // 1024))
        time.sleep(0.5)


def _written(instance: dg.DagsterInstance, after: float, samples: list[tuple[float, int]]) -> dict:
    """Runs started after ``after``, what their materializations say they wrote, and each step's peak RSS."""
    runs = [r for r in instance.get_run_records() if r.create_timestamp.timestamp() >= after]
    figures = {"runs": len(runs), "vectors_written": 0, "graph_rows_changed": 0, "sessions_written": 0, "steps": {},
               "step_rss_mb": {}}  # fmt: skip
    for run in runs:
        begun = {}
        for record in instance.all_logs(run.dagster_run.run_id):
            event = record.dagster_event
            if event is None or not event.step_key:
                continue
            if event.event_type_value == "STEP_START":
                begun[event.step_key] = record.timestamp
            elif event.event_type_value == "STEP_SUCCESS":
                seconds = record.timestamp - begun[event.step_key]
                figures["steps"][event.step_key] = round(figures["steps"].get(event.step_key, 0) + seconds, 1)
                during = [mb for at, mb in samples if begun[event.step_key] <= at <= record.timestamp]
                figures["step_rss_mb"][event.step_key] = max(during, default=0)
        graph_rows = 0  # the run's total, on every day it materialized
        for record in instance.all_logs(run.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION):
            materialization = record.asset_materialization
            meta = {k: v.value for k, v in materialization.metadata.items()}
            name = materialization.asset_key.to_user_string()
            if name.endswith("_sessions"):
                figures["sessions_written"] += meta.get("written", 0) + meta.get("removed", 0)
            elif name in ("reference_collections", "chroma_collections"):
                figures["vectors_written"] += sum(meta.get(k, 0) for k in VECTOR_WRITES)
            elif name == "graph_edges":
                graph_rows = meta.get("rows_changed", 0)
        figures["graph_rows_changed"] += graph_rows
    return figures


def ingest(env: dict, data: Path) -> dict:
    """One ``sdc ingest --source ticketportaal`` in a subprocess: seconds, peak RSS, runs and writes."""
    before, started = _files(data), time.time()
    clock = time.perf_counter()
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "sdc"), "ingest", "--source", "ticketportaal", "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    samples: list[tuple[float, int]] = []
    sampler = threading.Thread(target=_sample_rss, args=(process.pid, samples), daemon=True)
    sampler.start()
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - clock
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"sdc ingest failed:\n{output}")
    after = _files(data)
    changed = sum(1 for path, state in after.items() if before.get(path) != state) + len(before.keys() - after.keys())
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(data / "dagster"))) as instance:
        figures = _written(instance, started, samples)
    return {"seconds": round(seconds, 1), "peak_rss_mb": round(usage.ru_maxrss / 1024), "files_written": changed,
            **figures}  # fmt: skip


def measure(tickets: int, span: int, gaps: bool, model: str | None) -> dict:
    rng = random.Random(7)
    days = active_days(span, gaps, rng)
    rows = portal_rows(tickets, days, rng)
    portal_db = _scratch("sdc_bench_portal")
    try:
        database = SqlDatabase(**MARIADB, database=portal_db)
        create_schema(database.engine())
        with database.connect() as connection:
            load_rows(connection, rows)
        database.engine().dispose()
        with tempfile.TemporaryDirectory() as tmp:
            data = Path(tmp) / "data"
            env = {k: v for k, v in os.environ.items() if not k.startswith(("SDC_", "DAGSTER_", "TICKETPORTAAL_"))}
            env |= {"SDC_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "TICKETPORTAAL_HOST": MARIADB["host"],
                    "TICKETPORTAAL_PORT": str(MARIADB["port"]), "TICKETPORTAAL_USER": MARIADB["user"],
                    "TICKETPORTAAL_DATABASE": portal_db}  # fmt: skip
            if model:
                env["SDC_EMBED_MODEL"] = model
            cold = ingest(env, data)
            print(f"cold: {cold}", file=sys.stderr)
            unchanged = ingest(env, data)
            print(f"unchanged: {unchanged}", file=sys.stderr)
    finally:
        _drop(portal_db)
    ticket_days = sorted({r["created_at"].date() for r in rows["tickets"]})
    ranges = 1 + sum(1 for a, b in itertools.pairwise(ticket_days) if (b - a).days > 1)
    return {
        "tickets": tickets,
        "comments": len(rows["ticket_comments"]),
        "ci_links": len(rows["ticket_ci_relations"]),
        "days": (ticket_days[-1] - ticket_days[0]).days + 1,
        "days_with_tickets": len(ticket_days),
        "ranges": ranges,
        "model": model or "default",
        "cold": cold,
        "unchanged": unchanged,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000, help="synthetic tickets (default 1000)")
    parser.add_argument("--span", type=int, default=341, help="days from the first ticket to the last (default 341)")
    parser.add_argument("--no-gaps", dest="gaps", action="store_false", help="tickets on every day of the span")
    parser.add_argument("--model", help="SDC_EMBED_MODEL for the command (default: SDC's default model)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = parser.parse_args()
    f = measure(args.tickets, args.span, args.gaps, args.model)
    if args.json:
        print(json.dumps(f, indent=2))
        return
    print(
        f"{f['tickets']} tickets, {f['comments']} comments, {f['ci_links']} CI links over {f['days']} days "
        f"({f['days_with_tickets']} with tickets, in {f['ranges']} gap-free ranges); model {f['model']}"
    )
    keys = ["seconds", "runs", "files_written", "sessions_written", "vectors_written", "graph_rows_changed",
            "peak_rss_mb"]  # fmt: skip
    print(f"{'sdc ingest':<22}{'cold':>10}{'unchanged':>12}")
    print("-" * 44)
    for key in keys:
        print(f"{key.replace('_', ' '):<22}{f['cold'][key]:>10}{f['unchanged'][key]:>12}")
    print(f"\n{'step':<42}{'cold s':>8}{'peak RSS MB':>13}")
    for step in f["cold"]["steps"]:
        print(f"{step:<42}{f['cold']['steps'][step]:>8}{f['cold']['step_rss_mb'][step]:>13}")


if __name__ == "__main__":
    main()
