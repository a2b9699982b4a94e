"""Settings come from the environment when asked, and a bad value names its variable."""

import dagster as dg
import pytest

from sdc_assets import cli
from sdc_resources.embedder import Embedder
from sdc_resources.settings import SettingError, env, env_float, env_int, env_var, env_zone
from sdc_resources.sql_database import database_from_env


def test_unset_or_empty_gives_the_default(monkeypatch):
    monkeypatch.delenv("SDC_TEST_SETTING", raising=False)
    assert env("SDC_TEST_SETTING", "d") == "d"
    monkeypatch.setenv("SDC_TEST_SETTING", "")
    assert env_int("SDC_TEST_SETTING", 7) == 7
    monkeypatch.setenv("SDC_TEST_SETTING", "2.5")
    assert env_float("SDC_TEST_SETTING", 1.0) == 2.5


def test_a_value_that_does_not_parse_names_the_variable(monkeypatch):
    monkeypatch.setenv("SDC_EMBED_BATCH_SIZE", "veel")
    with pytest.raises(ValueError, match="SDC_EMBED_BATCH_SIZE='veel' is not a valid int"):
        Embedder()


def test_a_resource_reads_its_setting_when_built_not_when_imported(monkeypatch):
    monkeypatch.setenv("SDC_EMBED_BATCH_SIZE", "8")
    assert Embedder().batch_size == 8
    monkeypatch.setenv("SDC_EMBED_BATCH_SIZE", "16")
    assert Embedder().batch_size == 16


def test_secrets_are_passed_by_name_and_only_when_set(monkeypatch):
    monkeypatch.delenv("SDC_TEST_SECRET", raising=False)
    assert env_var("SDC_TEST_SECRET") is None
    monkeypatch.setenv("SDC_TEST_SECRET", "s3cret-value")
    assert env_var("SDC_TEST_SECRET") == dg.EnvVar("SDC_TEST_SECRET")
    monkeypatch.setenv("SDC_TEST_DB_HOST", "db.example")
    monkeypatch.setenv("SDC_TEST_DB_PASSWORD", "s3cret-value")
    settings = database_from_env("SDC_TEST_DB")
    assert settings["password"] == dg.EnvVar("SDC_TEST_DB_PASSWORD")
    assert "s3cret-value" not in repr(settings)


def test_a_zone_that_does_not_exist_names_its_variable(monkeypatch):
    monkeypatch.setenv("SDC_TEST_ZONE", "Mars/Base")
    with pytest.raises(SettingError, match="SDC_TEST_ZONE='Mars/Base' is not a time zone"):
        env_zone("SDC_TEST_ZONE", "Europe/Amsterdam")
    assert env_zone("SDC_UNSET_ZONE", "Europe/Amsterdam") == "Europe/Amsterdam"


def test_the_command_says_which_setting_is_wrong_in_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("SDC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SDC_EMBED_BATCH_SIZE", "veel")
    assert cli.main(["search", "vpn"]) == 2
    assert capsys.readouterr().err == "sdc: SDC_EMBED_BATCH_SIZE='veel' is not a valid int\n"
