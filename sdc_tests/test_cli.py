"""`sdc ingest`, the command behind `make demo`, on the bundled sample data."""

import csv
import json
import re
import shutil
import sqlite3
from pathlib import Path

import dagster as dg
import pytest

from sdc_assets import cli
from sdc_assets.cli.runs import Runner

from .conftest import DEMO, REPO


def _notes_project(tmp_path: Path, monkeypatch) -> Path:
    """A scratch project whose instance and data folder live in ``tmp_path``; its notes inbox."""
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    inbox = tmp_path / "data" / "inbox" / "notes"
    inbox.mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("SDC_DATA_DIR", str(tmp_path / "data"))
    return inbox


def _stored_by_ref(tmp_path: Path) -> dict[str, dict]:
    """Every stored session file, by its source reference."""
    files = (tmp_path / "data" / "sessions").rglob("*.json")
    return {s["meta"]["source_ref"]: s for s in (json.loads(p.read_text()) for p in files)}


def test_ingest_materializes_every_touched_day_and_prints_a_summary(tmp_path, monkeypatch, capsys):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    for source in ("screenconnect", "sillytavern", "notes"):
        shutil.copytree(DEMO / source, tmp_path / "data" / "inbox" / source)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("SDC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SDC_SYNCRO_REPLAY_DIR", str(DEMO / "syncro"))
    portal = tmp_path / "portal.sqlite"
    assert cli.main(["demo-portal", str(portal), "--sample", str(DEMO / "ticketportaal" / "portal.json")]) == 0
    monkeypatch.setenv("TICKETPORTAAL_SQLITE", str(portal))

    monkeypatch.setenv("SDC_UI_PORT", "3411")
    assert cli.main(["ingest", "--quiet", "--allow-quarantine"]) == 0
    out = capsys.readouterr().out
    assert "make dev  → http://127.0.0.1:3411" in out
    log = (tmp_path / "data" / "logs" / "sdc.log").read_text()
    assert "materializing 2025-03-09 .. 2025-03-15" in log and "linking, index, graph: ok, 7 day(s), 1 run(s)" in log
    assert "screenconnect    14 sessions" in out
    assert "sillytavern       8 sessions" in out
    assert "notes             8 sessions" in out
    assert "line 7: invalid JSON" in out
    assert "ticketportaal    11 sessions" in out
    assert len(list((tmp_path / "data" / "sessions").rglob("*.json"))) == 47

    assert re.search(r"^Semantic index \(Chroma\): .*knowledge_base: \d+ chunks, sessions: \d+ chunks", out, re.M)

    assert cli.main(["search", "Outlook keeps asking for the password", "--json", "-k", "3"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]
    assert "Outlook" in hits[0]["text"]
    assert Path(hits[0]["path"]).is_file()
    assert cli.main(["search", "disk space", "--source", "notes", "--since", "2025-03-12", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits
    assert {h["source"] for h in hits} == {"notes"}
    assert min(h["day"] for h in hits) >= "2025-03-12"
    with pytest.raises(SystemExit) as bad:
        cli.main(["search", "disk space", "--since", "2025-13-01"])
    assert bad.value.code == 2 and "'2025-13-01' is not a day (YYYY-MM-DD)" in capsys.readouterr().err
    assert cli.main(["search", "printer", "--customer", "no-such-customer"]) == 0
    assert capsys.readouterr().out.strip() == "no matches"

    # Every collection is searched without --source: KB articles and CIs carry their own identity.
    assert cli.main(["search", "print spooler herstarten", "--json", "-k", "20"]) == 0
    hits = json.loads(capsys.readouterr().out)
    kinds = {h["kind"] for h in hits}
    assert {"kb", "ticket"} <= kinds
    article = next(h for h in hits if h["kind"] == "kb")
    assert article["source_ref"] == "kb/1"
    assert article["session_id"] is None
    assert article["path"] is None
    assert article["title"] == "Printer drukt niet af: spooler herstarten"
    assert cli.main(["search", "laptop EliteBook", "--source", "ci", "-k", "1", "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert (item["kind"], item["source_ref"], item["identity"]) == ("ci", "ci/1", "CI CI-2025-0001")
    assert cli.main(["search", "printer drukt niet af", "--source", "ticketportaal", "-k", "10"]) == 0
    out = capsys.readouterr().out
    assert "KB article 1: Printer drukt niet af" in out
    assert "ticket " in out

    # Results are documents, identifiers are found whole, --kind narrows, --batch answers many in one process.
    assert cli.main(["search", "printer", "--json", "-k", "5"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == len({h["source_ref"] or h["session_id"] for h in hits}) == 5
    for identifier, ref in (("KK-2025-0042", "ticket/42"), ("5CG1234XYZ", "ci/1")):
        assert cli.main(["search", identifier, "--json", "-k", "3"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["source_ref"] == ref, identifier
    assert cli.main(["search", "printer", "--kind", "kb", "--json"]) == 0
    assert {h["kind"] for h in json.loads(capsys.readouterr().out)} == {"kb"}
    batch = tmp_path / "queries.jsonl"
    batch.write_text(
        '{"query": "KK-2025-0042", "k": 2}\n{"query": "vpn", "kind": "nope"}\n{"query": "spooler"}\n'
        '{"query": "vpn", "mode": "fuzzy"}\n{"k": 3}\n'
    )
    assert cli.main(["search", "--batch", str(batch)]) == 1  # bad lines, each said in its own line
    answers = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [a["line"] for a in answers] == [1, 2, 3, 4, 5]
    assert answers[0]["hits"][0]["source_ref"] == "ticket/42"
    assert answers[0]["hits"][0]["score"] > 2 > answers[0]["hits"][1]["score"]  # the owner of the identifier
    assert "unknown kind 'nope'" in answers[1]["error"]
    assert answers[2]["hits"]
    assert "unknown mode 'fuzzy'" in answers[3]["error"]
    assert "no query" in answers[4]["error"]

    instance = dg.DagsterInstance.get()
    materialized = instance.get_materialized_partitions(dg.AssetKey("screenconnect_sessions"))
    assert materialized == {f"2025-03-{d:02d}" for d in range(9, 16)}
    assert (tmp_path / "data" / "dagster" / "storage").is_dir()


def test_summary_counts_only_the_quarantine_of_current_files(tmp_path, monkeypatch, capsys):
    inbox = _notes_project(tmp_path, monkeypatch)
    (inbox / "n.json").write_text('[{"id": "1", "created_at": "2025-03-10"}, {"id": "2"}]')
    assert cli.main(["ingest", "--quiet", "--source", "notes"]) == 1  # a quarantined record is not a success
    out = capsys.readouterr().out
    assert re.search(r"^  notes +1  .*quarantine/notes$", out, re.M)
    assert re.search(r"^  notes +ok +1 +1$", out, re.M)
    assert "notes quarantined: n.json notes[1]: note has no readable created_at" in out
    (inbox / "n.json").write_text('[{"id": "1", "created_at": "2025-03-10"}, {"id": "2", "created_at": "2025-03-10"}]')
    assert cli.main(["ingest", "--quiet", "--source", "notes"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^  notes +2 sessions", out, re.M)
    assert re.search(r"^  notes +0  .*quarantine/notes$", out, re.M)


def test_a_failing_source_never_stops_the_other_sources_or_the_stages_after_them(tmp_path, monkeypatch, capsys):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    shutil.copytree(DEMO / "notes", tmp_path / "data" / "inbox" / "notes")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("SDC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SDC_SYNCRO_REPLAY_DIR", str(tmp_path / "no-such-capture"))
    empty_portal = tmp_path / "empty.sqlite"
    sqlite3.connect(empty_portal).close()  # a database without the portal's tables
    monkeypatch.setenv("TICKETPORTAAL_SQLITE", str(empty_portal))

    assert cli.main(["ingest", "--quiet", "--allow-quarantine"]) == 1
    out = capsys.readouterr().out
    failures = [line for line in out.splitlines() if ": FAILED: " in line and not line.startswith(" ")]
    assert [line.split(":")[0] for line in failures] == ["syncro", "ticketportaal"]  # one line each, as it happens
    assert "no-such-capture" in failures[0]
    assert "check SYNCRO_SUBDOMAIN" in failures[0]
    assert "has no table" in failures[1]
    assert "check the TICKETPORTAAL_* settings" in failures[1]
    assert re.search(r"^  notes +ok +6 +3$", out, re.M)
    assert re.search(r"^  screenconnect +skipped", out, re.M)
    assert re.search(r"^  syncro +failed", out, re.M)
    assert re.search(r"^  ticketportaal +failed", out, re.M)
    assert re.search(r"^  linking, index, graph +ok +6 +0$", out, re.M)  # the notes' days still went through
    assert re.search(r"^Semantic index \(Chroma\): sessions: \d+ chunks", out, re.M)
    assert "Traceback" not in out  # tracebacks go to the log
    assert "Traceback" in (tmp_path / "data" / "logs" / "sdc.log").read_text()


def test_a_changed_or_removed_file_takes_its_sessions_along(tmp_path, monkeypatch, capsys):
    inbox = _notes_project(tmp_path, monkeypatch)
    sessions = tmp_path / "data" / "sessions" / "notes"

    def ingest() -> str:
        assert cli.main(["ingest", "--quiet", "--source", "notes"]) == 0
        return capsys.readouterr().out

    (inbox / "EXPORT.JSON").write_text('[{"id": "1", "content": "Router vervangen", "created_at": "2025-03-22"}]')
    (inbox / "readme.txt").write_text("not a notes export")
    out = ingest()
    assert sorted(p.name for p in sessions.iterdir()) == ["2025-03-22"]  # an upper-case extension is read
    assert "notes note: readme.txt ignored: not a *.json file" in out
    (inbox / "EXPORT.JSON").write_text('[{"id": "1", "content": "Router vervangen", "created_at": "2025-03-23"}]')
    ingest()
    assert sorted(p.name for p in sessions.iterdir()) == ["2025-03-23"]  # moved, not copied
    (inbox / "EXPORT.JSON").unlink()
    ingest()
    assert not sessions.exists() or not list(sessions.iterdir())


def test_a_quarantined_syncro_record_is_named_by_endpoint_id_and_field():
    from sdc_assets.cli.summary import entry_line
    from sdc_assets.syncro.records import Problem

    problem = Problem("/tickets", "4711", "created_at", "Invalid isoformat string: 'yesterday-ish'", True)
    assert entry_line(problem.as_dict()) == (
        "/tickets id 4711 field created_at: Invalid isoformat string: 'yesterday-ish'"
    )
    assert entry_line({"file": "a.csv", "location": "line 3", "reason": "bad"}) == "a.csv line 3: bad"


def test_a_failed_error_check_fails_the_run_it_ran_in_and_says_which():
    @dg.asset
    def counted() -> None:
        return None

    @dg.asset_check(asset=counted)
    def adds_up() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, metadata={"mismatches": 2})

    @dg.asset_check(asset=counted, name="only_a_warning")
    def warns() -> dg.AssetCheckResult:
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN)

    with dg.instance_for_test() as instance:
        outcome = Runner(instance, {}, say=lambda _: None).materialize([counted, adds_up, warns])
    assert not outcome.ok
    assert outcome.failures == ["check counted:adds_up failed: {'mismatches': 2}"]


def test_relink_links_every_stored_session_again_and_keeps_a_persons_decision(tmp_path, monkeypatch, capsys):
    inbox = _notes_project(tmp_path, monkeypatch)
    monkeypatch.setenv("SDC_SYNCRO_REPLAY_DIR", str(DEMO / "syncro"))
    when = "2025-03-22T10:00:00+01:00"
    notes = [
        {"id": "a", "content": "Kassa van Bakkerij de Vries start niet", "created_at": when},
        {"id": "b", "content": "Printer op de zaak doet raar", "customer": "De Zaak", "created_at": when},
    ]
    (inbox / "export.json").write_text(json.dumps(notes))
    assert cli.main(["ingest", "--quiet", "--allow-quarantine"]) == 0
    stored = _stored_by_ref(tmp_path)
    assert stored["note/a"]["context"]["customer_id"] == "101"
    review = list(csv.DictReader((tmp_path / "data" / "review" / "2025-03-22.csv").open()))
    assert [r["customer_name"] for r in review] == ["De Zaak"]
    (tmp_path / "data" / "review" / "decisions.csv").write_text(
        f"session_id,customer_id\n{review[0]['session_id']},104\n"
    )
    capsys.readouterr()

    assert cli.main(["ingest", "--quiet", "--allow-quarantine", "--relink"]) == 0
    assert "every stored session linked again (--relink)" in capsys.readouterr().out
    stored = _stored_by_ref(tmp_path)
    assert (stored["note/b"]["context"]["customer_id"], stored["note/b"]["context"]["link_method"]) == ("104", "manual")
    assert stored["note/a"]["context"]["customer_id"] == "101"


def test_a_model_switch_is_one_ingest_even_without_the_portal_configured(tmp_path, monkeypatch, capsys):
    inbox = _notes_project(tmp_path, monkeypatch)
    shutil.copytree(DEMO / "notes", inbox, dirs_exist_ok=True)
    portal = tmp_path / "portal.sqlite"
    assert cli.main(["demo-portal", str(portal), "--sample", str(DEMO / "ticketportaal" / "portal.json")]) == 0
    monkeypatch.setenv("TICKETPORTAAL_SQLITE", str(portal))
    assert cli.main(["ingest", "--quiet", "--allow-quarantine", "--source", "notes", "--source", "ticketportaal"]) == 0
    capsys.readouterr()

    monkeypatch.delenv("TICKETPORTAAL_SQLITE")  # the portal is not reachable now
    monkeypatch.setenv("SDC_EMBED_MODEL", "all-MiniLM-L6-v2")
    assert cli.main(["search", "printer", "--json"]) == 1
    assert "another model" in capsys.readouterr().out
    assert cli.main(["ingest", "--quiet", "--allow-quarantine", "--source", "notes"]) == 0
    assert "indexed again" in capsys.readouterr().out
    assert cli.main(["search", "print spooler herstarten", "--json", "-k", "10"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert {"kb", "ticket"} <= {h["kind"] for h in hits}  # the portal's articles and tickets, with the new model
