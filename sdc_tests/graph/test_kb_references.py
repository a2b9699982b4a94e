"""RESOLVED_BY from a done ticket's own words: links, KB numbers and titles in Dutch and English, and the look-alikes
(Windows update numbers, unknown or unpublished articles, the problem statement, open tickets) that never count."""

import pytest

from sdc_assets.graph.build import session_graph
from sdc_assets.graph.kb_references import Articles, kb_references
from sdc_assets.sessions.model import (
    AuthorRole,
    SegmentKind,
    Session,
    SessionContext,
    SessionInsights,
    SessionMeta,
    SessionSegment,
    SourceSystem,
)

ARTICLES = Articles.of(
    [
        {"kb_id": 4, "title": "Reset a user's MFA registration in Entra ID"},
        {"kb_id": 7, "title": "Printer drukt niet af: spooler herstarten"},
        {"kb_id": 12, "title": "VPN"},  # too short to be recognised by its title
        {"kb_id": 1234, "title": "Outlook vraagt steeds om een wachtwoord"},
    ]
)


def _ticket(status: str, segments: list[tuple[SegmentKind, str]]) -> Session:
    return Session(
        meta=SessionMeta.for_source(SourceSystem.TICKETPORTAAL, "ticket/9", [], "2025-03-10"),
        context=SessionContext(attributes={"status": status}),
        insights=SessionInsights(title="Ticket"),
        segments=[SessionSegment(kind=k, text=t, author_role=AuthorRole.TECH) for k, t in segments],
    )


RESOLUTION, COMMENT, DESCRIPTION = SegmentKind.RESOLUTION, SegmentKind.COMMENT, SegmentKind.DESCRIPTION


@pytest.mark.parametrize(
    ("segments", "expected"),
    [
        ([(RESOLUTION, "MFA opnieuw laten registreren volgens KB-4, werkt weer.")], {"kb_4": 1.0}),
        ([(RESOLUTION, "Opgelost met kennisbankartikel 4.")], {"kb_4": 1.0}),
        ([(RESOLUTION, "Zie kb artikel #7, spooler herstart.")], {"kb_7": 1.0}),
        ([(RESOLUTION, "Fixed, see knowledge base article no. 1234.")], {"kb_1234": 1.0}),
        ([(COMMENT, "Stappen: https://portal.example.nl/kb_article.php?id=4&lang=nl")], {"kb_4": 0.95}),
        ([(COMMENT, "https://portal/kb_article.php?ref=mail&id=7 gevolgd")], {"kb_7": 0.95}),
        ([(RESOLUTION, "Followed 'Printer drukt niet af:  spooler HERSTARTEN' and it prints again.")], {"kb_7": 0.9}),
        ([(COMMENT, "Gedaan zoals in Reset a user's MFA registration in Entra ID staat.")], {"kb_4": 0.85}),
        # The same article by its number in the resolution and its title in a comment: the stronger evidence.
        ([(COMMENT, "Reset a user's MFA registration in Entra ID"), (RESOLUTION, "KB 4 gevolgd.")], {"kb_4": 1.0}),
        ([(RESOLUTION, "KB-4 en daarna KB-7 uitgevoerd.")], {"kb_4": 1.0, "kb_7": 1.0}),
        # Look-alikes.
        ([(RESOLUTION, "Windows update KB5034441 en KB890830 geïnstalleerd, werkt weer.")], {}),
        ([(RESOLUTION, "Opgelost volgens KB-99 (bestaat niet).")], {}),
        ([(RESOLUTION, "VPN client opnieuw geïnstalleerd.")], {}),  # article 12's title is a topic
        ([(DESCRIPTION, "KB-4 gevolgd maar MFA werkt nog steeds niet.")], {}),  # the problem, not the fix
        ([(RESOLUTION, "Netwerkkabel 4 vervangen, switchpoort 7 gereset.")], {}),
        ([(RESOLUTION, "Artikel 12 van de AVG: gegevens verwijderd.")], {}),
    ],
)
def test_references_in_the_resolution_and_comments(segments, expected):
    found = kb_references(_ticket("closed", segments), ARTICLES)
    assert {r.kb_node: r.confidence for r in found} == expected


def test_only_a_done_ticket_is_resolved_by_what_it_points_at():
    segments = [(RESOLUTION, "Volgens KB-4 opgelost.")]
    done = session_graph(_ticket("resolved", segments), None, [], {}, [], ARTICLES)
    (edge,) = [e for e in done.edges.values() if e.edge_type == "RESOLVED_BY"]
    assert (edge.target_id, edge.confidence, edge.properties["method"]) == ("kb_4", 1.0, "reference")
    assert edge.properties["matched"] == "KB-4"
    assert edge.properties["segment"] == "resolution"
    still_open = session_graph(_ticket("in_progress", segments), None, [], {}, [], ARTICLES)
    assert not [e for e in still_open.edges.values() if e.edge_type == "RESOLVED_BY"]


def test_a_reference_outranks_a_weaker_vector_match_to_the_same_article():
    session = _ticket("closed", [(RESOLUTION, "kb_article.php?id=7")])
    graph = session_graph(session, None, [], {}, [("kb_7", 0.66), ("kb_4", 0.61)], ARTICLES)
    resolved = {e.target_id: (e.confidence, e.properties["method"]) for e in graph.edges.values()}
    assert resolved == {"kb_7": (1.0, "reference"), "kb_4": (0.61, "vector")}
