"""The instance's SQLite storage from the repository's dagster.yaml: Dagster's files, connections kept open."""

import multiprocessing
import shutil
import sqlite3.dbapi2

import dagster as dg
import yaml

from sdc_resources.instance_storage import OPEN_SHARDS, PooledSqliteEventLogStorage

from .conftest import REPO

DAYS = dg.DailyPartitionsDefinition(start_date="2025-03-01", end_date="2025-03-21")


@dg.asset(partitions_def=DAYS)
def daily() -> None:
    """A materialization per day of the run's range."""


def _run_range(instance: dg.DagsterInstance) -> None:
    result = dg.materialize(
        [daily], instance=instance, tags={"dagster/asset_partition_range_start": "2025-03-01",
                                          "dagster/asset_partition_range_end": "2025-03-20"}
    )  # fmt: skip
    assert result.success


def _run_in_child(instance: dg.DagsterInstance) -> None:
    inherited = instance.event_log_storage._engines["index"]
    _run_range(instance)
    assert instance.event_log_storage._engines["index"] is not inherited


def test_runs_keep_their_connections_and_dagsters_own_sqlite_storage_reads_the_same_files(tmp_path, monkeypatch):
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.chdir(tmp_path)
    opened = []
    connect = sqlite3.dbapi2.connect  # what SQLAlchemy's sqlite dialect calls
    monkeypatch.setattr(sqlite3.dbapi2, "connect", lambda *a, **k: opened.append(str(a[0])) or connect(*a, **k))

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        for _ in range(OPEN_SHARDS + 2):
            _run_range(instance)
        events = sum(len(instance.all_logs(run.run_id)) for run in instance.get_runs())
        assert events > 20 * (OPEN_SHARDS + 2)
        event_log = [path for path in opened if "/history/runs/" in path]  # the index shard and a file per run
        assert 0 < len(event_log) <= 4 * (OPEN_SHARDS + 2) < events / 4  # not one per event
        assert len(storage._engines) == OPEN_SHARDS + 1  # the index and the most recent runs' files
        child = multiprocessing.get_context("fork").Process(target=_run_in_child, args=(instance,))
        child.start()
        child.join(timeout=300)
        assert child.exitcode == 0  # a forked child opens its own connections
        _run_range(instance)  # and the parent's still work
    assert storage._engines == {}

    plain = tmp_path / "plain"
    plain.mkdir()
    config = {"storage": {"sqlite": {"base_dir": str(tmp_path / "data" / "dagster" / "storage")}}}
    (plain / "dagster.yaml").write_text(yaml.safe_dump(config))
    with dg.DagsterInstance.from_config(str(plain)) as instance:
        assert len(instance.get_runs()) == OPEN_SHARDS + 4
        assert instance.get_materialized_partitions(daily.key) == set(DAYS.get_partition_keys())
