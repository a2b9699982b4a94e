"""Full and no-change sync of a ticketportaal: MariaDB → sessions → chunks → embeddings → Chroma → graph.

Fills a scratch MariaDB database (127.0.0.1:3306, root) with N synthetic Dutch tickets
(about 4 comments, 5 dynamic-field values and 0.7 CI links each; 100 CIs; a few KB
articles; mostly closed with a resolution) over 20 days, then runs every ticketportaal
asset, the index and the graph (graph tables in a second scratch MariaDB database) the way
``sdc ingest`` does: the reference assets, then all days in one run. It syncs again at
once with nothing changed. The embedding model is loaded before the clock starts. Prints
seconds per stage, chunks embedded, rows written and peak RSS, or with ``--json`` one
object with the keys tickets, chunks, full, resync (each: seconds, stages, embedded,
chroma_writes, sessions_written, graph_rows_changed) and peak_rss_mb.

    python benchmarks/ticketportaal_sync.py --tickets 1000
"""

import argparse
import json
import random
import resource
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from sdc_assets.cli.runs import QUIET
from sdc_assets.enrichment.assets import enrichment_assets
from sdc_assets.graph.assets import graph_assets
from sdc_assets.index.assets import daily_index_assets, reference_collections
from sdc_assets.partitions import partition_range_tags
from sdc_assets.sessions.store import SessionStore
from sdc_assets.ticketportaal.assets import (
    ticketportaal_cis,
    ticketportaal_kb,
    ticketportaal_sessions,
    ticketportaal_tickets_raw,
)
from sdc_resources.embedder import BACKENDS, USE_MODEL, Embedder
from sdc_resources.entity_model import EntityModel
from sdc_resources.graph_store import GraphStore
from sdc_resources.index_store import IndexStore
from sdc_resources.llm import LLM
from sdc_resources.sql_database import SqlDatabase
from sdc_resources.syncro import Syncro
from sdc_resources.ticketportaal import Ticketportaal
from sdc_resources.ticketportaal_schema import create_schema, load_rows
from sdc_resources.vector_store import VectorStore

MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root"}
FIRST = datetime(2025, 2, 3, 7)
DAYS = 20
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


def portal_rows(tickets: int, rng: random.Random) -> dict[str, list[dict]]:
    """A synthetic portal shaped like the real one."""
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
        created = FIRST + timedelta(days=t % DAYS, minutes=rng.randint(0, 600))
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


def _drop(*names: str) -> None:
    with SqlDatabase(**MARIADB, database="test").connect() as connection:
        for name in names:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS `{name}`"))


def _sync(resources: dict, first: str, last: str) -> dict:
    """Reference assets, then the daily ones over all days; seconds per step and the figures that matter."""
    stages: dict[str, float] = {}
    figures = {"embedded": 0, "chroma_writes": 0, "sessions_written": 0, "graph_rows_changed": 0}
    started = time.perf_counter()
    with dg.instance_for_test() as instance:
        for assets, tags in (
            ([ticketportaal_kb, ticketportaal_cis, reference_collections], {}),
            (
                [
                    ticketportaal_tickets_raw,
                    *ticketportaal_sessions,
                    *enrichment_assets,
                    *daily_index_assets,
                    *graph_assets,
                ],
                partition_range_tags(first, last),
            ),
        ):
            result = dg.materialize(assets, resources=resources, instance=instance, tags=tags, run_config=QUIET)
            assert result.success
            begun = {}
            for record in instance.all_logs(result.run_id):
                event = record.dagster_event
                if event is None or not event.step_key:
                    continue
                if event.event_type_value == "STEP_START":
                    begun[event.step_key] = record.timestamp
                elif event.event_type_value == "STEP_SUCCESS":
                    stages[event.step_key] = round(record.timestamp - begun[event.step_key], 2)
            for event in result.get_asset_materialization_events():
                materialization = event.step_materialization_data.materialization
                meta = {k: v.value for k, v in materialization.metadata.items()}
                name = materialization.asset_key.to_user_string()
                if name == "ticketportaal_sessions":
                    figures["sessions_written"] += meta.get("written", 0)
                elif name == "embeddings" and materialization.partition == first:
                    figures["embedded"] += meta["embedded_in_run"]
                elif name == "reference_collections":
                    figures["embedded"] += meta["embedded"]
                    figures["chroma_writes"] += sum(meta[k] for k in ("add", "upsert", "update_metadata", "delete"))
                elif name == "chroma_collections" and materialization.partition == first:
                    figures["chroma_writes"] += sum(
                        meta[f"{k}_in_run"] for k in ("add", "upsert", "update_metadata", "delete")
                    )
                elif name == "graph_edges" and materialization.partition == first:
                    figures["graph_rows_changed"] = meta["rows_changed"]
    return {"seconds": round(time.perf_counter() - started, 2), "stages": stages, **figures}


def measure(tickets: int, backend: str | None = None) -> dict:
    rng = random.Random(7)
    rows = portal_rows(tickets, rng)
    portal_db, graph_db = _scratch("sdc_bench_portal"), _scratch("sdc_bench_graph")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            portal = Ticketportaal(
                **MARIADB, database=portal_db, raw_dir=str(root / "raw"), quarantine_dir=str(root / "q")
            )
            create_schema(portal.engine())
            with portal.connect() as connection:
                load_rows(connection, rows)
            embedder = Embedder(models_dir=str(root / "models"), **({"backend": backend} if backend else {}))
            embedder.encode(["warm-up: the model loads before the clock starts"])
            resources = {
                "ticketportaal": portal,
                "session_store": SessionStore(root=str(root / "sessions")),
                "index_store": IndexStore(root=str(root / "index")),
                "embedder": embedder,
                "vector_store": VectorStore(path=str(root / "chroma"), host=None),
                "graph_store": GraphStore(**MARIADB, database=graph_db, cache_dir=str(root / "entities")),
                "entity_model": EntityModel(),
                "syncro": Syncro(cache_dir=str(root / "cache")),
                "llm": LLM(provider="none"),
            }
            days = sorted({r["created_at"].date().isoformat() for r in rows["tickets"]})
            full = _sync(resources, days[0], days[-1])
            resync = _sync(resources, days[0], days[-1])
            chunks = sum(c.count() for c in resources["vector_store"].client().list_collections())
    finally:
        _drop(portal_db, graph_db)
    return {
        "tickets": tickets,
        "comments": len(rows["ticket_comments"]),
        "field_values": len(rows["ticket_field_values"]),
        "ci_links": len(rows["ticket_ci_relations"]),
        "chunks": chunks,
        "model": embedder.model_id,
        "backend": "numpy" if embedder.model_id == USE_MODEL else embedder.backend,
        "full": full,
        "resync": resync,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1000, help="synthetic tickets (default 1000)")
    parser.add_argument("--backend", choices=BACKENDS, help="embedding backend (default: SDC_EMBED_BACKEND or onnx)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args()
    f = measure(args.tickets, args.backend)
    if args.json:
        print(json.dumps(f, indent=2))
        return
    print(
        f"{f['tickets']} tickets, {f['comments']} comments, {f['field_values']} field values, {f['ci_links']} CI links;"
        f" {f['chunks']} chunks in Chroma; model {f['model']}, backend {f['backend']}"
    )
    print(f"{'stage':<28}{'full sync s':>12}{'re-sync s':>11}")
    print("-" * 51)
    for stage in f["full"]["stages"]:
        print(f"{stage:<28}{f['full']['stages'][stage]:>12.2f}{f['resync']['stages'].get(stage, 0):>11.2f}")
    print("-" * 51)
    print(f"{'total (wall clock)':<28}{f['full']['seconds']:>12.2f}{f['resync']['seconds']:>11.2f}")
    for key in ("embedded", "chroma_writes", "sessions_written", "graph_rows_changed"):
        print(f"{key.replace('_', ' '):<28}{f['full'][key]:>12}{f['resync'][key]:>11}")
    print(f"peak RSS: {f['peak_rss_mb']} MB")


if __name__ == "__main__":
    main()
