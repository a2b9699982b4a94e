"""deploy/postgres/dagster.yaml against the PostgreSQL server on this machine."""

import uuid

import dagster as dg
import psycopg2
import pytest

from sdc_assets.file_drop.assets import assets_by_source

from .conftest import REPO, copy_demo

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def scratch_database():
    name = f"sdc_test_{uuid.uuid4().hex[:10]}"
    admin = psycopg2.connect(ADMIN_URL)
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_runs_and_materializations_are_stored_in_postgres(
    scratch_database, monkeypatch, tmp_path, resources, file_drop
):
    monkeypatch.setenv("SDC_DAGSTER_PG_URL", scratch_database)
    monkeypatch.chdir(tmp_path)
    copy_demo(file_drop, "notes")
    notes_assets = assets_by_source["notes"]
    with dg.DagsterInstance.from_config(str(REPO / "deploy" / "postgres")) as instance:
        assert dg.materialize(notes_assets, instance=instance, resources=resources, partition_key="2025-03-10").success
    with psycopg2.connect(scratch_database.replace("+psycopg2", "")) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM runs")
        assert cursor.fetchone() == (1,)
        cursor.execute("SELECT DISTINCT asset_key FROM event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")
        assert sorted(row[0] for row in cursor.fetchall()) == ['["notes_raw"]', '["notes_sessions"]']
