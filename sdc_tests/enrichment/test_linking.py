"""The exact → fuzzy linking waterfall on the labeled set: precision and recall, and the rules behind them."""

from sdc_assets.enrichment.customer_index import CustomerIndex
from sdc_assets.enrichment.linking import link_session
from sdc_assets.enrichment.names import name_key
from sdc_tests.enrichment.labeled import CASES, cache_table, labeled_sessions


def test_the_labeled_set_is_large_and_mixed():
    assert len(CASES) >= 60
    assert {source for source, _, _ in CASES} == {"screenconnect", "sillytavern", "notes", "syncro"}


def test_precision_and_recall_of_automatic_links():
    index = CustomerIndex.from_cache(cache_table())
    results = [(link_session(session, index), expected) for session, expected in labeled_sessions()]
    linked = [(link, expected) for link, expected in results if link.linked]
    correct = sum(1 for link, expected in linked if link.customer_id == expected)
    precision = correct / len(linked)
    recall = correct / sum(1 for _, expected in results if expected)
    wrong = [(link.customer_id, link.method, expected) for link, expected in linked if link.customer_id != expected]
    assert precision >= 0.98, wrong
    assert recall >= 0.9, [(c, e) for c, e in zip(CASES, results, strict=True) if e[1] and not e[0].linked]


def test_every_unlinked_session_keeps_its_candidates_and_why():
    index = CustomerIndex.from_cache(cache_table())
    for session, _ in labeled_sessions():
        link = link_session(session, index)
        if not link.linked:
            assert link.method in ("ambiguous", "no_match")
            assert link.confidence == 0.0
        assert all(c.customer_id in index.customers or c.reason == "source_id" for c in link.candidates)


def test_ambiguity_is_not_guessed():
    index = CustomerIndex.from_cache(cache_table())
    sessions = dict(((s.context.customer_name, s.context.contact_name), s) for s, _ in labeled_sessions())
    link = link_session(sessions[("De Vries", None)], index)
    assert not link.linked
    assert {c.customer_id for c in link.candidates[:2]} == {"101", "105"}


def test_methods_and_confidences():
    index = CustomerIndex.from_cache(cache_table())
    by_context = {str(s.context.model_dump(exclude_defaults=True)): s for s, _ in labeled_sessions()}

    def link(**context):
        return link_session(next(s for k, s in by_context.items() if k == str(context)), index)

    assert (link(emails=["jan@bakkerijdevries.nl"]).method, link(emails=["jan@bakkerijdevries.nl"]).contact_id) == (
        "email",
        "1001",
    )
    assert link(emails=["stagiair@bakkerijdevries.nl"]).method == "email_domain"
    assert link(phones=["+31 6 1234 5678"]).method == "phone"
    assert link(machine_names=["jit-lt-014"]).method == "machine"
    assert link(customer_name="JANSEN INSTALLATIETECHNIEK BV").method == "company_name"
    typo = link(customer_name="Bakkerij de Vris")
    assert typo.method == "fuzzy"
    assert 0.85 < typo.confidence < 0.97
    assert link(customer_id="105", contact_id="1005", customer_name="De Vries Transport B.V.").confidence == 1.0


def test_name_keys_drop_legal_forms_accents_and_punctuation():
    assert name_key("Bakkerij de Vries B.V.") == name_key("BAKKERIJ DE VRIES BV") == "bakkerij de vries"
    assert name_key("Autobedrijf Van Dijk V.O.F.") == "autobedrijf van dijk"
    assert name_key("Coöperatie Zuivel U.A.") == "zuivel"
    assert name_key("Stichting Buurthuis De Brug") == "buurthuis de brug"
