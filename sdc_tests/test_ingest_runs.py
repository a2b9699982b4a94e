"""What ``sdc ingest`` costs: one run per stage over the whole span of days, nothing redone when nothing changed,
and every day the stages after the sources ran for shows all five sources' sessions (no upstream missing)."""

import json
import re
import shutil
from pathlib import Path

import dagster as dg

from sdc_assets import cli
from sdc_assets.file_drop.sensors import drop_folder_sensor
from sdc_assets.partitions import days_between
from sdc_assets.sessions.sources import SESSION_ASSETS
from sdc_assets.ticketportaal.sensors import REFERENCE_KEYS, ticketportaal_update_sensor
from sdc_resources.day_marks import DayMarks
from sdc_resources.file_drop import FileDrop
from sdc_resources.ticketportaal import ticketportaal_from_env

from .conftest import DEMO, REPO
from .lineage import sensor_context

RANGE = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def _files(data: Path) -> dict[str, tuple[int, int]]:
    """Every file of the data folder but Dagster's instance and the log, with size and mtime."""
    return {
        str(p.relative_to(data)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in data.rglob("*")
        if p.is_file() and p.relative_to(data).parts[0] not in ("dagster", "logs")
    }


def test_days_with_gaps_are_one_run_per_stage_and_an_unchanged_ingest_runs_and_writes_nothing(
    tmp_path, monkeypatch, capsys
):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    shutil.copytree(DEMO / "notes", tmp_path / "data" / "inbox" / "notes")  # 9th-15th March, none on the 11th
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    monkeypatch.setenv("SDC_DATA_DIR", str(tmp_path / "data"))
    portal = tmp_path / "portal.sqlite"
    assert cli.main(["demo-portal", str(portal), "--sample", str(DEMO / "ticketportaal" / "portal.json")]) == 0
    monkeypatch.setenv("TICKETPORTAAL_SQLITE", str(portal))
    monkeypatch.setenv("SDC_SYNCRO_REPLAY_DIR", str(DEMO / "syncro"))  # the API's pages as captured
    ingest = ["ingest", "--quiet", "--allow-quarantine"]
    ingest += [arg for source in ("notes", "syncro", "ticketportaal") for arg in ("--source", source)]

    assert cli.main(ingest) == 0
    instance = dg.DagsterInstance.get()
    runs = {run.job_name: run for run in instance.get_runs()}
    assert sorted(runs) == [
        "ingest_notes", "ingest_sessions_to_graph", "ingest_syncro_customers", "ingest_syncro_tickets",
        "ingest_ticketportaal_reference", "ingest_ticketportaal_tickets",
    ]  # fmt: skip
    assert len(instance.get_runs()) == len(runs)
    spans = {name: tuple(run.tags.get(tag) for tag in RANGE) for name, run in runs.items()}
    assert spans["ingest_notes"] == ("2025-03-09", "2025-03-15")  # one run over the gap of the 11th
    first, last = spans["ingest_sessions_to_graph"]
    derived = instance.get_materialized_partitions(dg.AssetKey("linked_sessions"))
    assert first <= "2025-03-09" and last >= "2025-03-15" and len(derived) == len(days_between(first, last))
    for key in SESSION_ASSETS:  # the UI asks each upstream asset for the day: none is missing
        assert instance.get_materialized_partitions(key) >= derived, key.to_user_string()

    # make dev after make demo: the drop-folder sensor's first tick knows the files sdc ingest read
    context = sensor_context(instance=instance, cursor=None, resources={"file_drop": FileDrop()})
    tick = drop_folder_sensor(context)
    assert tick.run_requests == [] and json.loads(tick.cursor) == {}
    portal_tick = ticketportaal_update_sensor(
        sensor_context(instance=instance, cursor=None, resources={"ticketportaal": ticketportaal_from_env()})
    )  # and the portal sensor's, the KB articles' and CIs' signature sdc ingest stored
    assert [r for r in portal_tick.run_requests if r.asset_selection == REFERENCE_KEYS] == []

    before = _files(tmp_path / "data")
    capsys.readouterr()
    assert cli.main(ingest) == 0
    out = capsys.readouterr().out
    assert len(instance.get_runs()) == len(runs)  # Syncro's listings and tickets compared, not fetched into a run
    assert _files(tmp_path / "data") == before
    assert "nothing to do" in out and "up to date" in out
    for part in ("notes", "syncro", "ticketportaal", "linking, index, graph"):
        assert re.search(rf"^  {part} +unchanged +[1-9]", out, re.M), out  # and the days it compared


def test_marks_are_read_in_bounded_batches_past_sqlites_limit_of_variables(tmp_path):
    marks = DayMarks(tmp_path / "marks.sqlite")
    days = [f"day-{n:06d}" for n in range(40_000)]
    for day in days[::1000]:
        marks.record("chunks", [(day, "state", None)], "settings")
    assert set(marks.read("chunks", days)) == set(days[::1000])
