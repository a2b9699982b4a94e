"""The Syncro client against a real HTTP server on loopback: paging, faults, pacing, and the key kept secret."""

import logging

import pytest

from sdc_resources.pacer import Pacer
from sdc_resources.syncro_client import ReplayClient, SyncroAuthError, SyncroError, capture_name, parse_time
from sdc_tests.syncro.conftest import API_KEY
from sdc_tests.syncro.fake_syncro import Fault


def everything(client) -> dict:
    tickets = client.tickets()
    return {
        "tickets": tickets,
        "comments": {t["id"]: client.comments(t["id"]) for t in tickets},
        "customers": client.customers(),
        "contacts": client.contacts(),
        "assets": client.customer_assets(),
    }


def test_every_page_of_every_listing_is_read(syncro, fake_syncro, pacer):
    got = everything(syncro.client(pacer))

    world = fake_syncro.world
    assert [t["id"] for t in got["tickets"]] == [t["id"] for t in world["tickets"]]  # 6 tickets over 3 pages
    assert got["customers"] == world["customers"]
    assert got["contacts"] == world["contacts"]
    assert got["assets"] == world["assets"]
    assert {t: len(c) for t, c in got["comments"].items()} == {t["id"]: len(t["comments"]) for t in world["tickets"]}
    pages = [e["query"].get("page") for e in fake_syncro.log if e["path"] == "/tickets"]
    assert pages == ["1", "2", "3"]  # page by page up to meta.total_pages, no page size assumed


def test_a_listing_without_meta_stops_at_the_first_empty_page(syncro, fake_syncro, pacer):
    fake_syncro.no_meta.add("contacts")
    assert syncro.client(pacer).contacts() == fake_syncro.world["contacts"]
    pages = [e["query"]["page"] for e in fake_syncro.log if e["path"] == "/contacts"]
    assert pages == ["1", "2", "3", "4"]  # 7 contacts, 3 a page: the 4th page is empty


def test_faults_are_retried_until_the_data_equals_a_clean_run(syncro, fake_syncro, pacer, clock):
    clean = everything(syncro.client(Pacer(150, clock=clock, sleep=clock.sleep)))
    fake_syncro.log.clear()
    fake_syncro.faults += [
        Fault("/tickets", status=429, retry_after="7"),
        Fault("/tickets", status=429),
        Fault("/customers", status=500),
        Fault("/customers", status=503, retry_after="3"),
        Fault("/contacts", stall=3.0),  # past the 0.5 s read timeout
        Fault("/tickets/5001/comments", status=502),
    ]

    assert everything(syncro.client(pacer)) == clean
    assert not fake_syncro.faults
    assert 7 in pacer.waited
    assert 3 in pacer.waited  # Retry-After honoured, to the second
    assert len(pacer.sent) == len(fake_syncro.log)  # every request, retries included, went through the pacer


def test_no_more_than_the_limit_in_any_minute(syncro, fake_syncro, clock):
    pacer = Pacer(4, clock=clock, sleep=clock.sleep)
    client = syncro.client(pacer)
    fake_syncro.faults += [Fault("/tickets", status=429), Fault("/customers", status=503)]
    everything(client)

    sent = pacer.sent
    assert len(sent) == len(fake_syncro.log) > 12
    assert max(sum(1 for t in sent if start <= t < start + 60) for start in sent) == 4
    assert clock.now - 1000.0 >= 60 * (len(sent) // 4 - 1)  # the clock moved by waiting, not by a real sleep


def test_401_fails_at_once_without_retries(syncro, fake_syncro, pacer):
    bad = syncro.model_copy(update={"api_key": "wrong"})
    with pytest.raises(
        SyncroAuthError, match=r"GET http://127.0.0.1:\d+/api/v1/tickets: HTTP 401 \"Not authorized\"; check"
    ):
        bad.client(pacer).tickets()
    assert len(fake_syncro.log) == 1
    assert not pacer.waited


def test_retries_are_bounded(syncro, fake_syncro, pacer):
    fake_syncro.faults += [Fault("/customers", status=503) for _ in range(10)]
    with pytest.raises(SyncroError, match=r"GET http://127.0.0.1:\d+/api/v1/customers: HTTP 503"):
        syncro.model_copy(update={"retries": 3}).client(pacer).customers()
    assert len(fake_syncro.log) == 4


def test_the_key_is_sent_as_a_bearer_header_and_never_in_a_url_or_log(syncro, fake_syncro, pacer, caplog):
    caplog.set_level(logging.DEBUG)
    fake_syncro.faults.append(Fault("/tickets", status=429, retry_after="1"))
    everything(syncro.client(pacer))
    with pytest.raises(SyncroAuthError) as refused:
        syncro.model_copy(update={"api_key": API_KEY + "x"}).client(pacer).tickets()

    assert {e["auth"] for e in fake_syncro.log} == {f"Bearer {API_KEY}", f"Bearer {API_KEY}x"}
    assert not [e for e in fake_syncro.log if API_KEY in e["url"]]
    assert API_KEY not in caplog.text
    assert API_KEY not in str(refused.value)
    assert "/api/v1/tickets?page=1" in caplog.text  # urllib3 logged the requests, without the key


def test_a_capture_replays_the_same_answers(syncro, fake_syncro, pacer, tmp_path):
    live = everything(syncro.model_copy(update={"capture_dir": str(tmp_path)}).client(pacer))
    assert (tmp_path / capture_name("/tickets", {"page": 2})).is_file()
    assert everything(ReplayClient(tmp_path)) == live
    created = live["tickets"][3]["created_at"]
    # A filtered question is answered from the unfiltered capture, filtered the same way as live.
    assert ReplayClient(tmp_path).tickets(created_after=parse_time(created)) == syncro.client(pacer).tickets(
        created_after=parse_time(created)
    )


def test_a_caller_with_a_time_budget_stops_asking_when_it_is_spent(fake_syncro, pacer):
    from sdc_resources.syncro_client import LiveClient

    client = LiveClient(fake_syncro.base_url, API_KEY, pacer, time_budget=1e-9)
    with pytest.raises(SyncroError, match="not sent, the time this caller may spend on Syncro is used up"):
        client.tickets()
    assert not fake_syncro.log
