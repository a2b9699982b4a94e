"""The IT entity ruler in front of spaCy's NER (the bundled en_core_web_sm), on fixture texts."""

import pytest

from sdc_assets.graph.entities import RULER, known_names
from sdc_assets.graph.entity_ruler import extract
from sdc_resources.entity_model import EntityModel, EntityModelError
from sdc_tests.ticketportaal.world import configuration_items


@pytest.fixture(scope="module")
def nlp():
    pipeline = EntityModel().load()
    pipeline.add_pipe(RULER, before="ner").set_names(known_names(configuration_items()), pipeline)
    return pipeline


def _found(nlp, primary: str, rest: str = "") -> dict[tuple[str, str], tuple[float, str]]:
    [entities] = extract(nlp, [(primary, rest)])
    return {(e.label, e.text): (e.confidence, e.method) for e in entities}


def test_the_pipeline_runs_only_what_ner_needs_with_the_ruler_before_ner(nlp):
    assert nlp.pipe_names == ["tok2vec", RULER, "ner"]


def test_it_entities_by_pattern(nlp):
    found = _found(
        nlp,
        "Zie KK-2025-0042 en Syncro ticket #10452: server SRV-DC01 en nas.kruitkramer.local op 192.168.10.20 "
        "zijn onbereikbaar; mail naar helpdesk@kruitkramer.nl. CI-2024-0107 is vervangen.",
    )
    assert found[("TICKET_NUMBER", "KK-2025-0042")] == (0.9, "pattern")  # en_core_web_sm alone calls it a DATE
    assert ("TICKET_NUMBER", "#10452") in found
    assert ("HOSTNAME", "SRV-DC01") in found
    assert ("HOSTNAME", "nas.kruitkramer.local") in found
    assert ("IP_ADDRESS", "192.168.10.20") in found
    assert ("EMAIL", "helpdesk@kruitkramer.nl") in found
    assert ("CI_NUMBER", "CI-2024-0107") in found
    assert ("TICKET_NUMBER", "CI-2024-0107") not in found
    assert not any(label == "DATE" for label, _ in found)


def test_names_known_from_the_cis_win_over_patterns_and_ner(nlp):
    found = _found(nlp, "De hp laserjet pro m404dn (serienummer PHBQ123456, asset KK-0102) bij PRN-FIN-01 is stuk.")
    assert found[("PRODUCT", "HP LaserJet Pro M404dn")] == (0.95, "known")  # canonical spelling from the CMDB
    assert found[("SERIAL_NUMBER", "PHBQ123456")] == (0.95, "known")
    assert found[("ASSET_TAG", "KK-0102")] == (0.95, "known")
    assert found[("HOSTNAME", "PRN-FIN-01")] == (0.95, "known")


def test_statistical_entities_are_kept_only_when_name_shaped_and_only_from_the_problem_statement(nlp):
    found = _found(
        nlp, "Priya Sharma from Microsoft visited the Utrecht office.", "Anouk de Vries called from Amsterdam."
    )
    assert found[("PERSON", "Priya Sharma")] == (0.5, "ner")
    assert ("GPE", "Utrecht") in found
    assert not any(text in ("Anouk de Vries", "Amsterdam") for _, text in found)  # the rest gets the ruler only
    dutch = _found(nlp, "Ik kan niet meer inloggen, mijn wachtwoord is verlopen.")
    assert dutch == {}  # what an English model makes of a Dutch sentence is dropped


def test_the_ruler_reads_the_rest_of_the_text(nlp):
    found = _found(nlp, "Laptop start niet.", "Intern: LT-FIN-023 opnieuw geïnstalleerd, IP 10.0.12.45.")
    assert set(found) == {("HOSTNAME", "LT-FIN-023"), ("IP_ADDRESS", "10.0.12.45")}


def test_many_texts_go_through_in_batches_with_one_result_each(nlp):
    texts = [(f"Ticket KK-2025-{n:04d} over PRN-FIN-01", "") for n in range(150)]
    results = extract(nlp, texts, batch_size=32)
    assert len(results) == 150
    assert all(("TICKET_NUMBER", f"KK-2025-{n:04d}") in {(e.label, e.text) for e in r} for n, r in enumerate(results))


def test_a_missing_pipeline_is_named():
    with pytest.raises(EntityModelError, match=r"nl_core_news_lg.*SDC_SPACY_MODEL"):
        EntityModel(model="nl_core_news_lg").load()
