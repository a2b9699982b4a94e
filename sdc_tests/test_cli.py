"""`sdc ingest`, the command behind `make demo`, on the bundled sample data."""

import json
import re
import shutil
from pathlib import Path

import dagster as dg

from sdc_assets import cli

from .conftest import DEMO, REPO


def test_ingest_materializes_every_touched_day_and_prints_a_summary(tmp_path, monkeypatch, capsys):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    shutil.copytree(DEMO, tmp_path / "data" / "inbox")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("SDC_DATA_DIR", str(tmp_path / "data"))

    assert cli.main(["ingest", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "screenconnect    14 sessions" in out
    assert "sillytavern       8 sessions" in out
    assert "notes             8 sessions" in out
    assert "line 7: invalid JSON" in out
    assert len(list((tmp_path / "data" / "sessions").rglob("*.json"))) == 30

    assert re.search(r"^Semantic index \(Chroma\): sessions: \d+ chunks$", out, re.M)

    assert cli.main(["search", "Outlook keeps asking for the password", "--json", "-k", "3"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3 and hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    assert "Outlook" in hits[0]["text"] and Path(hits[0]["path"]).is_file()
    assert cli.main(["search", "disk space", "--source", "notes", "--since", "2025-03-12", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and {h["source"] for h in hits} == {"notes"} and min(h["day"] for h in hits) >= "2025-03-12"
    assert cli.main(["search", "printer", "--customer", "no-such-customer"]) == 0
    assert capsys.readouterr().out.strip() == "no matches"

    instance = dg.DagsterInstance.get()
    materialized = instance.get_materialized_partitions(dg.AssetKey("screenconnect_sessions"))
    assert materialized == {f"2025-03-{d:02d}" for d in range(9, 16)}
    assert (tmp_path / "data" / "dagster" / "storage").is_dir()


def test_summary_counts_only_the_quarantine_of_current_files(tmp_path, monkeypatch, capsys):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    inbox = tmp_path / "data" / "inbox" / "notes"
    inbox.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("SDC_DATA_DIR", str(tmp_path / "data"))
    (inbox / "n.json").write_text('[{"id": "1", "created_at": "2025-03-10"}, {"id": "2"}]')
    assert cli.main(["ingest", "--quiet", "--source", "notes"]) == 0
    assert re.search(r"^  notes +1  .*quarantine/notes$", capsys.readouterr().out, re.M)
    (inbox / "n.json").write_text('[{"id": "1", "created_at": "2025-03-10"}, {"id": "2", "created_at": "2025-03-10"}]')
    assert cli.main(["ingest", "--quiet", "--source", "notes"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  notes +2 sessions", out, re.M) and re.search(r"^  notes +0  .*quarantine/notes$", out, re.M)
