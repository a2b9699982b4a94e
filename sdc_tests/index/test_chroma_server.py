"""The same index code against a Chroma server (`chroma run` on a loopback port), through HttpClient."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from sdc_assets.file_drop.assets import assets_by_source
from sdc_assets.index.assets import chroma_collections, chunks, embeddings
from sdc_assets.partitions import partition_range_tags
from sdc_resources.vector_store import VectorStore

from ..conftest import copy_demo
from ..processes import answers, free_port, poll_until

NOTES = assets_by_source["notes"]


@pytest.fixture
def chroma_server(tmp_path: Path):
    port = free_port()
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    process = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server"), "--host", "127.0.0.1", "--port", str(port)],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    try:
        poll_until(lambda: answers(f"http://127.0.0.1:{port}/api/v2/heartbeat"), 60, "chroma run", process)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_index_and_query_through_a_chroma_server(chroma_server, index_resources, file_drop, embedder):
    server = VectorStore(path="unused", host="127.0.0.1", port=chroma_server)
    resources = {**index_resources, "vector_store": server}
    copy_demo(file_drop, "notes")
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [*NOTES, chunks, embeddings, chroma_collections],
            resources=resources,
            instance=instance,
            tags=partition_range_tags("2025-03-09", "2025-03-15"),
        )
    assert result.success
    written = sum(e.metadata["add"].value for e in result.asset_materializations_for_node("chroma_collections"))
    sessions = server.collection("sessions")
    assert sessions.count() == written > 0
    hits = sessions.query(
        query_embeddings=embedder.encode(["scanner not recognised by the reception PC"]),
        n_results=1,
        include=["documents"],
    )
    assert "scanner" in hits["documents"][0][0].lower()
    assert not Path("unused").exists()
