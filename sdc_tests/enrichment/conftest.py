"""A fake OpenAI-compatible chat server on loopback for the LLM paths."""

import pytest

from sdc_tests.enrichment.fake_openai import FakeOpenAI, serve


@pytest.fixture
def fake_openai():
    fake = FakeOpenAI()
    server = serve(fake)
    yield fake
    fake.released.set()
    server.shutdown()
    server.server_close()
