"""The Syncro update sensor over several ticks against the loopback server."""

import dagster as dg

from sdc_assets.syncro.sensors import syncro_update_sensor
from sdc_tests.syncro.fake_syncro import Fault


def tick(instance, syncro, cursor):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"syncro": syncro})
    return syncro_update_sensor(context), context


def ranges(result) -> list[tuple[str, str]]:
    return [
        (r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"])
        for r in result.run_requests
    ]


def test_changed_tickets_rerun_their_creation_days_and_the_cursor_follows(syncro, fake_syncro):
    tickets = {t["id"]: t for t in fake_syncro.world["tickets"]}
    with dg.instance_for_test() as instance:
        first, _ = tick(instance, syncro, "2025-03-11T00:00:00+00:00")
        assert ranges(first) == [("2025-03-11", "2025-03-13")]  # 5003 .. 5006, created 11th-13th
        assert first.cursor == "2025-03-14T09:10:00+00:00"  # the newest updated_at seen
        assert all(r.asset_selection is None for r in first.run_requests)  # the sensor's target: downstream

        quiet, _ = tick(instance, syncro, first.cursor)
        assert quiet.run_requests == []
        assert quiet.skip_reason.skip_message == "no ticket updated in Syncro since 2025-03-14T09:10:00+00:00"
        assert quiet.cursor == first.cursor

        tickets[5001]["updated_at"] = "2025-03-20T10:00:00.000Z"  # a late comment on a ticket of the 10th
        tickets[5005]["updated_at"] = "2025-03-20T11:00:00+01:00"
        later, _ = tick(instance, syncro, quiet.cursor)
        assert ranges(later) == [("2025-03-10", "2025-03-12")]  # one run over the span: the 11th is unchanged
        assert later.cursor == "2025-03-20T10:00:00+00:00"
        assert len({r.run_key for r in [*first.run_requests, *later.run_requests]}) == 2


def test_the_cursor_stays_when_syncro_does_not_answer(syncro, fake_syncro):
    fake_syncro.faults += [Fault("/tickets", status=503) for _ in range(10)]
    with dg.instance_for_test() as instance:
        result, _ = tick(instance, syncro, "2025-03-11T00:00:00Z")
    assert isinstance(result, dg.SkipReason)
    assert "cursor kept at 2025-03-11T00:00:00+00:00" in result.skip_message
    assert "HTTP 503" in result.skip_message
    assert len(fake_syncro.log) == 1  # no retries inside a tick: the next tick is the retry


def test_a_rate_limited_tick_skips_and_the_next_one_catches_up(syncro, fake_syncro):
    fake_syncro.faults.append(Fault("/tickets", status=429, retry_after="30"))
    with dg.instance_for_test() as instance:
        skipped, _ = tick(instance, syncro, "2025-03-13T00:00:00Z")
        assert isinstance(skipped, dg.SkipReason)
        assert "HTTP 429" in skipped.skip_message
        result, _ = tick(instance, syncro, "2025-03-13T00:00:00Z")
    assert ranges(result) == [("2025-03-13", "2025-03-13")]
    assert [e["path"] for e in fake_syncro.log] == ["/tickets", "/tickets"]


def test_not_configured_skips(data_dir, monkeypatch):
    from sdc_resources.syncro import NOT_CONFIGURED, Syncro

    monkeypatch.delenv("SDC_SYNCRO_REPLAY_DIR", raising=False)
    monkeypatch.delenv("SDC_SYNCRO_BASE_URL", raising=False)
    with dg.instance_for_test() as instance:
        result, _ = tick(instance, Syncro(), None)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == NOT_CONFIGURED
