"""Search on a graded set written by someone who had not seen the search (``search_set/``: 200 tickets in Dutch
and English, 21 CIs, 25 KB articles, 80 queries in five classes), indexed as a user does it (``sdc
demo-portal``, ``sdc ingest --source ticketportaal``): hybrid search against dense-only and BM25-only over
the same chunks."""

import shutil
from pathlib import Path

import pytest

from sdc_assets import cli
from sdc_assets.cli.search_eval import MODES, evaluate, read_queries
from sdc_assets.definitions import build_definitions
from sdc_assets.index.search import Query, search

from ..conftest import REPO

SET = Path(__file__).parent / "search_set"


@pytest.fixture(scope="module")
def means(tmp_path_factory) -> dict:
    home = tmp_path_factory.mktemp("search_set")
    shutil.copy(REPO / "dagster.yaml", home / "dagster.yaml")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(home)
        patch.setenv("DAGSTER_HOME", str(home))
        patch.setenv("SDC_DATA_DIR", str(home / "data"))
        assert cli.main(["demo-portal", str(home / "portal.sqlite"), "--sample", str(SET / "portal.json")]) == 0
        patch.setenv("TICKETPORTAAL_SQLITE", str(home / "portal.sqlite"))
        assert cli.main(["ingest", "--quiet", "--source", "ticketportaal"]) == 0
        resources = build_definitions().resources
        stores = (resources["embedder"], resources["vector_store"], resources["index_store"].lexical)
        root = Path(resources["session_store"].root)
        queries = read_queries(SET)

        def answers(mode: str) -> list[list[str]]:
            return [[h.source_ref for h in search(Query(q["query"], 10, mode=mode), *stores, root)] for q in queries]

        return evaluate(queries, answers)


def test_hybrid_beats_dense_only_and_bm25_only_overall(means):
    ndcg = {mode: means[(mode, "all")]["ndcg@10"] for mode in MODES}
    assert ndcg["hybrid"] > ndcg["dense"] > ndcg["lexical"], ndcg
    assert ndcg["hybrid"] >= 0.8, ndcg


def test_identifiers_find_their_document_first(means):
    hybrid, dense, lexical = (means[(mode, "identifier")] for mode in MODES)
    assert hybrid["recall@5"] >= 0.95
    assert hybrid["ndcg@10"] >= lexical["ndcg@10"] > dense["ndcg@10"]


def test_a_dutch_question_finds_the_english_answer_and_the_reverse(means):
    hybrid, dense, lexical = (means[(mode, "crosslingual")] for mode in MODES)
    assert hybrid["ndcg@10"] >= 0.8
    assert hybrid["ndcg@10"] > lexical["ndcg@10"] + 0.3  # shared words cannot cross a language
    assert hybrid["ndcg@10"] >= dense["ndcg@10"] - 0.1  # the lexical list's ties cost little of the model's reach


@pytest.mark.parametrize("cls", ["paraphrase", "symptom", "typo"])
def test_every_class_is_ahead_of_bm25(means, cls):
    assert means[("hybrid", cls)]["ndcg@10"] > means[("lexical", cls)]["ndcg@10"] + 0.1
