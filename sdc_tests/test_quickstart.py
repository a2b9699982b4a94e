"""The README's quickstart as a user runs it, in a scratch copy of the repository: `make demo`, then every
command the demo's summary prints; `SDC_DATA_DIR` elsewhere; and a first run on an empty data folder."""

import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from sdc_assets import cli

from .conftest import REPO

DEADLINE = 900


def _scratch_copy(target: Path) -> Path:
    """The committed files of the repository (times kept, so make sees the install as done) and its venv."""
    files = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    for name in files.splitlines():
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    (target / ".venv").symlink_to(REPO / ".venv")
    return target


def _user_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SDC_", "DAGSTER_", "TICKETPORTAAL_", "SYNCRO_"))}
    return {**env, **extra}


def _make_demo(copy: Path, env: dict) -> str:
    # -o install: the copy shares this repository's virtualenv, which must never be re-pointed at the copy
    done = subprocess.run(
        ["make", "-o", "install", "demo"], cwd=copy, env=env, capture_output=True, text=True, timeout=DEADLINE
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


@pytest.mark.slow
def test_make_demo_then_every_command_its_summary_prints(tmp_path):
    copy = _scratch_copy(tmp_path / "sdc")
    env = _user_env()
    out = _make_demo(copy, env)
    assert "Result" in out
    assert re.search(r"^  linking, index, graph +ok", out, re.M)
    commands = re.findall(r"^(?:Search it:)?\s+(\.venv/bin/sdc search .+)$", out, re.M)
    assert len(commands) == 3, out
    expected = {"--source kb": "KB article", "--source ci": "CI CI-2025-"}
    for command in commands:
        done = subprocess.run(shlex.split(command), cwd=copy, env=env, capture_output=True, text=True, timeout=DEADLINE)
        assert done.returncode == 0, (command, done.stderr[-2000:])
        assert done.stdout.startswith("1. "), (command, done.stdout)
        want = next((text for flag, text in expected.items() if flag in command), "ticket ")
        assert want in done.stdout, (command, done.stdout)
    assert any("--source" not in c for c in commands)
    assert any("--source" in c for c in commands)


@pytest.mark.slow
def test_make_demo_keeps_everything_in_sdc_data_dir(tmp_path):
    copy = _scratch_copy(tmp_path / "sdc")
    elsewhere = tmp_path / "elsewhere"
    _make_demo(copy, _user_env(SDC_DATA_DIR=str(elsewhere)))
    assert sorted(p.name for p in (copy / "data").iterdir()) == ["demo", "schema"]  # nothing written in ./data
    for name in ("inbox", "sessions", "chroma", "graph", "ticketportaal-demo.sqlite", "dagster/dagster.yaml"):
        assert (elsewhere / name).exists(), name
    assert len(list((elsewhere / "sessions").rglob("*.json"))) == 47
    assert (elsewhere / "dagster" / "storage").is_dir()


def test_the_first_run_on_an_empty_data_folder_is_a_normal_run(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    shutil.copy(REPO / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("SDC_DATA_DIR", str(tmp_path / "data"))
    for name in ("SDC_SYNCRO_REPLAY_DIR", "TICKETPORTAAL_SQLITE", "SYNCRO_API_KEY", "TICKETPORTAAL_HOST"):
        monkeypatch.delenv(name, raising=False)
    assert cli.main(["ingest"]) == 0
    out = capsys.readouterr().out
    assert "Semantic index (Chroma): empty" in out
    assert "empty: nothing has been written to the graph yet" in out
    assert re.search(r"^  syncro +skipped", out, re.M)
    assert re.search(r"^  linking, index, graph +skipped", out, re.M)
    assert "could not be read" not in out
