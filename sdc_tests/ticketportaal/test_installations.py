"""The portal's own schema files, as installations have them, on the real MariaDB: the repository's schema,
the same with its migrations, and one production installation. The same sample tickets become the same
sessions on all three; what an installation lacks is reported; ENUM values no list knows load as text."""

import re
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa

from sdc_assets.partitions import partition_range_tags
from sdc_assets.sessions.store import SessionStore
from sdc_assets.ticketportaal.assets import (
    ticketportaal_cis,
    ticketportaal_kb,
    ticketportaal_sessions,
    ticketportaal_tickets_raw,
)
from sdc_assets.ticketportaal.installation import Installation
from sdc_assets.ticketportaal.queries import fetch_tickets
from sdc_resources.ticketportaal import Ticketportaal
from sdc_resources.ticketportaal_schema import TABLE_ORDER
from sdc_tests.mariadb import MARIADB, scratch_database
from sdc_tests.ticketportaal.world import window, world

SCHEMAS = Path(__file__).parent / "schemas"
REPOSITORY = ["repository/schema.sql", "repository/ci_change_schema.sql"]
MIGRATIONS = ["migrations/add_category_fields.sql", "migrations/007_create_knowledge_graph_schema.sql",
              "migrations/add_performance_indexes_for_ai.sql"]  # fmt: skip
VARIANTS = {
    "repository": (REPOSITORY, []),
    "migrated": (REPOSITORY, MIGRATIONS),
    "production": (["production-2025-10-schema.sql"], []),
}
# NOT NULL columns without a default that the sample leaves out, in some installations
FILL = {
    "users": {"password": "-"},
    "configuration_items": {"created_by": 3},
    "ticket_ci_relations": {"created_by": 3},
}
DAYS = ("2025-03-10", "2025-03-12")


def run_sql_file(connection: sa.Connection, path: Path) -> None:
    """Every statement of a .sql file the portal ships (comments dropped, split at ``;`` ending a line)."""
    text = "\n".join(line for line in path.read_text().splitlines() if not line.strip().startswith("--"))
    for statement in re.split(r";\s*(?:\n|$)", text):
        if statement.strip():
            connection.exec_driver_sql(statement)


def load_sample(connection: sa.Connection, rows: dict[str, list[dict]], tables: list[str]) -> None:
    """The sample rows of ``tables``, each with the columns this installation has."""
    for name in tables:
        table = sa.Table(name, sa.MetaData(), autoload_with=connection)
        for row in rows.get(name, []):
            row = {**FILL.get(name, {}), **row}
            connection.execute(table.insert(), {k: v for k, v in row.items() if k in table.c})


def sample() -> dict[str, list[dict]]:
    rows = world()
    for item in rows["configuration_items"]:
        if item["status"] == "Onderhoud":  # not a status in the repository's schema
            item["status"] = "Defect"
    return rows


@contextmanager
def built(variant: str, data_dir: Path, rows: dict[str, list[dict]] | None = None, alter: str | None = None):
    """A scratch MariaDB database built from one variant's own SQL files, holding the sample (or ``rows``)."""
    schema_files, migrations = VARIANTS[variant]
    name, drop = scratch_database("sdc_portal")
    portal = Ticketportaal(**MARIADB, database=name, raw_dir=str(data_dir / variant / "raw"), backoff_seconds=0)
    rows = rows or sample()
    try:
        with portal.connect() as connection:
            connection.exec_driver_sql("SET FOREIGN_KEY_CHECKS = 0")
            for file in schema_files:
                run_sql_file(connection, SCHEMAS / file)
            if alter:
                connection.exec_driver_sql(alter)
            load_sample(connection, rows, ["users", "categories"])
            for file in migrations:
                run_sql_file(connection, SCHEMAS / file)
            present = set(sa.inspect(connection).get_table_names())
            if "category_fields" in present:
                connection.exec_driver_sql("DELETE FROM category_fields")  # the migration's example fields
            later = [t.name for t in TABLE_ORDER if t.name not in ("users", "categories") and t.name in present]
            load_sample(connection, rows, later)
        yield portal
    finally:
        portal.engine().dispose()
        drop()


def _sessions(portal: Ticketportaal, data_dir: Path, variant: str):
    store = SessionStore(root=str(data_dir / variant / "sessions"))
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [ticketportaal_tickets_raw, *ticketportaal_sessions],
            resources={"ticketportaal": portal, "session_store": store},
            instance=instance,
            tags=partition_range_tags(*DAYS),
        )
        reference = dg.materialize(
            [ticketportaal_kb, ticketportaal_cis], resources={"ticketportaal": portal}, instance=instance
        )
    assert result.success
    assert reference.success
    days = ("2025-03-10", "2025-03-11", "2025-03-12")
    sessions = [s for day in days for s in store.read_partition("ticketportaal", day)]
    gaps = result.asset_materializations_for_node("ticketportaal_tickets_raw")[0].metadata
    return sessions, gaps["missing_in_this_installation"].value


OPTIONAL = {"ticket_type", "fields"}  # attributes only some installations can hold


def _comparable(session) -> dict:
    attributes = {k: v for k, v in session.context.attributes.items() if k not in OPTIONAL}
    for item in attributes.get("configuration_items", []):
        item.pop("asset_tag", None)
    for person in ("requester", "agent"):
        if isinstance(attributes.get(person), dict):
            attributes[person].pop("location", None)
    return {
        "id": session.meta.session_id,
        "day": session.meta.partition_day,
        "segments": [(s.kind, s.author, s.author_role, s.text, s.hidden) for s in session.segments],
        "attributes": attributes,
        "title": session.insights.title,
    }


@pytest.mark.slow
def test_every_installation_gives_the_same_sessions(data_dir):
    seen = {}
    for variant in VARIANTS:
        with built(variant, data_dir) as portal:
            sessions, gaps = _sessions(portal, data_dir, variant)
        assert len(sessions) == 5, variant
        assert all(len(s.segments) >= 2 for s in sessions), variant
        if variant == "repository":
            assert "location" in gaps["users"]
            assert "asset_tag" in gaps["configuration_items"]
            assert "ticket_type" in gaps["tickets"]
            assert gaps["category_fields"] == ["(table)"]
        if variant == "production":
            assert not {k: v for k, v in gaps.items() if v == ["(table)"]}  # every table SDC reads is there
            assert any(s.context.attributes.get("fields") for s in sessions)
        seen[variant] = sorted((_comparable(s) for s in sessions), key=lambda c: c["id"])
    assert seen["repository"] == seen["migrated"] == seen["production"]


def test_enum_values_no_list_knows_load_as_text(data_dir):
    rows = sample()
    rows["category_fields"][1]["field_type"] = "date"
    rows["category_fields"][2]["field_type"] = "rating"  # in no list at all
    widen = (
        "ALTER TABLE category_fields MODIFY field_type ENUM('text','textarea','select','radio','checkbox',"
        "'date','number','email','tel','rating') NOT NULL DEFAULT 'text'"
    )
    with built("production", data_dir, rows, alter=widen) as portal:
        records = portal.run(lambda c: fetch_tickets(c, *window(list(DAYS)), Installation.read(c)), "test")
    types = {f["field_label"]: f["field_type"] for r in records for f in r["fields"]}
    assert types == {"Merk": "select", "Model": "date", "Locatie": "rating", "Softwarenaam": "text", "Versie": "text"}
