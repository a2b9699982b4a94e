"""The labelled linking sets, each written by someone who had not seen the linker: ``linking_set/`` (169
sessions, MSP Polderlink) and ``linking_set_brugwerk/`` (160 sessions, MSP Brugwerk), in the sources' own file
formats against 45 customers each served as Syncro's listings. Precision, recall overall and per kind of
evidence, and the hard negatives."""

from pathlib import Path

import pytest

from sdc_assets.cli.linking_eval import Report, evaluate

SETS = {
    # The one to-do without any date cannot be placed on a day: the notes parser quarantines it.
    "linking_set": ["notes notes_export_2025-04.json 'n-009047': 0 sessions"],
    "linking_set_brugwerk": [],
}
POSITIVE_KINDS = [
    "company_name", "custom_property", "contact_name", "name_variant", "email", "email_domain", "phone", "machine",
    "text_mention", "session_name",
]  # fmt: skip
HARD_NEGATIVES = ["hard_negative_lookalike", "hard_negative_namesake", "hard_negative_placeholder",
                  "hard_negative_shared_mailbox"]  # fmt: skip


@pytest.fixture(scope="module", params=sorted(SETS))
def labelled(request) -> tuple[str, Report]:
    return request.param, evaluate(Path(__file__).parent / request.param)


@pytest.fixture
def report(labelled) -> Report:
    return labelled[1]


def test_every_label_finds_its_session(labelled):
    name, report = labelled
    assert report.unmatched == SETS[name]


def test_precision_and_recall_overall(report):
    assert report.precision >= 0.98, report.wrong()
    assert report.recall() >= 0.9, report.wrong()


@pytest.mark.parametrize("kind", POSITIVE_KINDS)
def test_recall_of_every_kind_of_evidence(report, kind):
    assert report.kinds()[kind] >= 10
    assert report.recall(kind) >= 0.9, [line for line in report.wrong() if line.startswith(kind)]


def test_at_most_one_hard_negative_is_linked(report):
    assert sum(report.kinds()[kind] for kind in HARD_NEGATIVES) >= 12
    assert sum(report.false_links(kind) for kind in HARD_NEGATIVES) <= 1, report.wrong()
    assert report.false_links() <= 1
