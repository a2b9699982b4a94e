"""``sessions_valid``: a stored session file that does not read back fails the check, run alone or in a run,
and a run stops before linking reads it."""

import json

import dagster as dg

from sdc_assets.enrichment.assets import linked_sessions
from sdc_assets.file_drop.assets import assets_by_source
from sdc_assets.partitions import partition_range_tags
from sdc_resources.llm import LLM
from sdc_resources.syncro import Syncro

from ..conftest import copy_demo

DAY = "2025-03-10"


def _defs(resources: dict, data_dir) -> dg.Definitions:
    notes = assets_by_source["notes"]
    syncro = Syncro(cache_dir=str(data_dir / "cache"), raw_dir=str(data_dir / "raw"))
    return dg.Definitions(
        assets=[*notes, linked_sessions],
        resources={**resources, "syncro": syncro, "llm": LLM(provider="none")},
    )


def _check(result) -> dg.AssetCheckEvaluation:
    (evaluation,) = [e for e in result.get_asset_check_evaluations() if e.check_name == "sessions_valid"]
    return evaluation


def test_an_unreadable_session_file_fails_sessions_valid_alone_and_blocks_linking(resources, file_drop, data_dir):
    copy_demo(file_drop, "notes")
    defs = _defs(resources, data_dir)
    job = defs.resolve_implicit_global_asset_job_def()
    with dg.instance_for_test() as instance:
        built = job.execute_in_process(instance=instance, tags=partition_range_tags("2025-03-09", "2025-03-15"))
        assert built.success
        assert _check(built).passed
        stored = sorted((data_dir / "sessions" / "notes" / DAY).glob("*.json"))
        assert stored
        stored[0].write_text("{")
        renamed = stored[-1].with_name("not-its-id.json")
        renamed.write_bytes(json.dumps(json.loads(stored[-1].read_text())).encode())

        check_key = dg.AssetCheckKey(dg.AssetKey("notes_sessions"), "sessions_valid")
        alone = job.get_subset(asset_selection=set(), asset_check_selection={check_key}).execute_in_process(
            instance=instance, partition_key=DAY, raise_on_error=False
        )
        evaluation = _check(alone)
        assert not evaluation.passed
        problems = evaluation.metadata["invalid_files"].value
        assert any(stored[0].name in p for p in problems)
        assert any("not-its-id.json" in p and "does not match" in p for p in problems)

        with_linking = job.get_subset(
            asset_selection={dg.AssetKey("linked_sessions")}, asset_check_selection={check_key}
        ).execute_in_process(instance=instance, partition_key=DAY, raise_on_error=False)
        assert not _check(with_linking).passed
        assert not with_linking.success
        assert not with_linking.asset_materializations_for_node("linked_sessions")
