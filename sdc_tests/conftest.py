"""Shared fixtures: a scratch data folder with the resources pointed at it."""

import os
import shutil
from pathlib import Path

import pytest
from dagster._core.storage.defs_state.base import set_defs_state_storage

from sdc_assets.sessions.store import SessionStore
from sdc_resources.file_drop import FileDrop
from sdc_resources.graph_store import GraphStore
from sdc_resources.ticketportaal import Ticketportaal
from sdc_resources.ticketportaal_schema import create_schema, load_rows
from sdc_tests.mariadb import MARIADB, scratch_database
from sdc_tests.ticketportaal.world import world

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "data" / "demo"


@pytest.fixture(autouse=True)
def _no_inherited_defs_state_storage():
    """Each test starts without a current defs-state storage. Dagster keeps the newest instance's in a context
    variable; an instance a test leaves to the garbage collector (the ephemeral ones ``build_sensor_context``
    and ``materialize`` make without an instance) leaves it pointing at nothing, and a later test's
    ``Definitions`` load fails with "undefined DagsterInstance weakref"."""
    with set_defs_state_storage(None):
        yield


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def file_drop(data_dir: Path) -> FileDrop:
    return FileDrop(data_dir=str(data_dir), settle_seconds=30)


@pytest.fixture
def session_store(data_dir: Path) -> SessionStore:
    return SessionStore(root=str(data_dir / "sessions"))


@pytest.fixture
def resources(file_drop: FileDrop, session_store: SessionStore) -> dict:
    return {"file_drop": file_drop, "session_store": session_store}


def drop(file_drop: FileDrop, source: str, relpath: str, content: bytes | str, age_seconds: float = 3600) -> Path:
    """Put a file in a source's inbox, its mtime ``age_seconds`` in the past (settled by default)."""
    path = file_drop.inbox(source) / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    settle(path, age_seconds)
    return path


def settle(path: Path, age_seconds: float = 3600) -> None:
    stat = path.stat()
    mtime = stat.st_mtime - age_seconds if age_seconds else stat.st_mtime
    os.utime(path, (mtime, mtime))


def copy_demo(file_drop: FileDrop, source: str) -> None:
    shutil.copytree(DEMO / source, file_drop.inbox(source), dirs_exist_ok=True)
    for path in file_drop.inbox(source).rglob("*"):
        if path.is_file():
            settle(path)


@pytest.fixture(scope="session")
def embedder():
    """The default model (USE multilingual v3), loaded once for the whole test session."""
    from sdc_resources.embedder import Embedder

    return Embedder()


@pytest.fixture
def index_resources(resources: dict, data_dir: Path, embedder) -> dict:
    from sdc_resources.index_store import IndexStore
    from sdc_resources.vector_store import VectorStore

    return {
        **resources,
        "index_store": IndexStore(root=str(data_dir / "index")),
        "embedder": embedder,
        "vector_store": VectorStore(path=str(data_dir / "chroma"), host=None),
    }


@pytest.fixture
def portal_rows() -> dict[str, list[dict]]:
    """The small portal of sdc_tests/ticketportaal/world.py; a test may change it before ``ticketportaal``."""
    return world()


@pytest.fixture
def ticketportaal(data_dir: Path, portal_rows):
    """A scratch MariaDB database with the portal's schema and ``portal_rows``, dropped afterwards."""
    name, drop = scratch_database("sdc_portal")
    portal = Ticketportaal(
        **MARIADB,
        database=name,
        raw_dir=str(data_dir / "raw" / "ticketportaal"),
        quarantine_dir=str(data_dir / "quarantine" / "ticketportaal"),
        backoff_seconds=0,
    )
    create_schema(portal.engine())
    with portal.connect() as connection:
        load_rows(connection, portal_rows)
    yield portal
    portal.engine().dispose()
    drop()


@pytest.fixture
def mariadb_graph(data_dir: Path):
    """A graph store in a scratch MariaDB database."""
    name, drop = scratch_database("sdc_graph")
    store = GraphStore(**MARIADB, database=name, cache_dir=str(data_dir / "graph" / "entities"), backoff_seconds=0)
    yield store
    store.engine().dispose()
    drop()
