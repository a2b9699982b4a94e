"""A fake Syncro on a loopback port, and clients whose pacer runs on a fake clock."""

import pytest

from sdc_resources.pacer import Pacer
from sdc_resources.syncro import Syncro
from sdc_tests.syncro.fake_syncro import FakeSyncro, serve
from sdc_tests.syncro.world import world

API_KEY = "canary-7f3a9c1e5b2d-do-not-log"


class FakeClock:
    """Time that passes only when someone sleeps."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake_syncro():
    fake = FakeSyncro(world=world(), api_key=API_KEY)
    server = serve(fake)
    fake.base_url = f"http://127.0.0.1:{server.server_port}/api/v1"
    yield fake
    fake.released.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def syncro(fake_syncro, data_dir) -> Syncro:
    return Syncro(
        base_url=fake_syncro.base_url,
        api_key=API_KEY,
        replay_dir=None,
        capture_dir=None,
        raw_dir=str(data_dir / "raw" / "syncro"),
        cache_dir=str(data_dir / "cache"),
        quarantine_dir=str(data_dir / "quarantine" / "syncro"),
        read_timeout=0.5,
        backoff_factor=0.5,
    )


@pytest.fixture
def pacer(clock) -> Pacer:
    return Pacer(150, clock=clock, sleep=clock.sleep)
