from datetime import UTC, datetime, timedelta

import pytest

from sdc_assets.index.chunking import (
    CHARS_PER_TOKEN_MAX,
    chunk_session,
    embed_key,
    normalize,
    split_to_fit,
    word_tokens,
)
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

T0 = datetime(2025, 3, 10, 9, tzinfo=UTC)


def _segment(minutes: int, author: str | None, role: AuthorRole, kind: SegmentKind, text: str, **kw) -> SessionSegment:
    return SessionSegment(
        timestamp=T0 + timedelta(minutes=minutes), author=author, author_role=role, kind=kind, text=text, **kw
    )


def _ticket(**attributes) -> Session:
    meta = SessionMeta.for_source(SourceSystem.TICKETPORTAAL, "ticket/42", ["db"], "2025-03-10")
    segments = [
        _segment(0, "Kees", AuthorRole.CUSTOMER, SegmentKind.DESCRIPTION, "Outlook vraagt steeds om het wachtwoord."),
        _segment(5, "Priya", AuthorRole.TECH, SegmentKind.COMMENT, "Nieuw profiel aangemaakt."),
        _segment(6, "Priya", AuthorRole.TECH, SegmentKind.COMMENT, "Intern: MFA stond uit.", hidden=True),
        _segment(9, "Kees", AuthorRole.CUSTOMER, SegmentKind.COMMENT, "Het werkt weer!"),
        _segment(9, "Priya", AuthorRole.TECH, SegmentKind.CONNECTION, "Priya connected"),
        _segment(10, "Priya", AuthorRole.TECH, SegmentKind.RESOLUTION, "Modern auth aangezet in het profiel."),
    ]
    context = SessionContext(
        customer_name="Jansen Installatietechniek B.V.",
        customer_id="123",
        attributes={"status": "closed", "priority": "high", "category": "E-mail", **attributes},
    )
    insights = SessionInsights(title="Outlook wachtwoordprompt", started_at=T0)
    return Session(meta=meta, context=context, insights=insights, segments=segments).with_content_hash()


def test_every_chunk_type_of_a_ticket():
    session = _ticket(
        fields={"Merk": "HP", "Model": "EliteBook 840"},
        configuration_items=[{"ci_number": "CI-2025-0009", "name": "JIT-LT-014"}],
    )
    chunks = chunk_session(session)
    assert [c.chunk_type for c in chunks] == [
        "header",
        "description",
        "resolution",
        "comment",
        "comment",
        "comment",
        "fields",
        "related_cis",
    ]
    header, description, resolution, public, internal, customer, fields, cis = (c.text for c in chunks)
    assert header.splitlines()[:3] == [
        "Title: Outlook wachtwoordprompt",
        "Source: ticketportaal",
        "Customer: Jansen Installatietechniek B.V.",
    ]
    assert "Status: closed" in header
    assert "Priority: high" in header
    assert "Category: E-mail" in header
    assert "needs_linking" not in header
    assert description == "Problem:\nOutlook vraagt steeds om het wachtwoord."
    assert resolution == "Resolution:\nModern auth aangezet in het profiel."
    assert public == "Priya (tech), 2025-03-10 09:05:\nNieuw profiel aangemaakt."
    assert internal == "Priya (tech), 2025-03-10 09:06:\nIntern: MFA stond uit."
    assert customer.startswith("Kees (customer), 2025-03-10 09:09:")
    assert fields == "Fields:\nMerk: HP\nModel: EliteBook 840"
    assert cis == "Related configuration items:\nci_number: CI-2025-0009, name: JIT-LT-014"
    assert [c.metadata["hidden"] for c in chunks[3:6]] == [False, True, False]
    comment = chunks[4]
    assert (
        comment.metadata | {"hidden": True, "author": "Priya", "author_role": "tech", "chunk_type": "comment"}
        == comment.metadata
    )
    assert comment.metadata["customer_id"] == "123"
    assert comment.metadata["day"] == "2025-03-10"
    assert all(isinstance(v, str | int | float | bool) for c in chunks for v in c.metadata.values())


def test_chunk_ids_are_deterministic_and_unique():
    first, again = chunk_session(_ticket()), chunk_session(_ticket())
    assert [c.chunk_id for c in first] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in first}) == len(first)
    assert first[3].chunk_id.endswith(":comment:0")
    assert first[4].chunk_id.endswith(":comment:1")


def test_long_turns_are_split_at_sentences_and_every_piece_keeps_its_speaker():
    sentences = [f"Stap {i}: controleer de instellingen van de printer en herstart de spooler." for i in range(40)]
    session = _ticket()
    session.segments.append(_segment(20, "Jan", AuthorRole.TECH, SegmentKind.NOTE, " ".join(sentences)))
    turns = [c for c in chunk_session(session, max_tokens=60) if c.metadata.get("author") == "Jan"]
    assert len(turns) > 5
    for chunk in turns:
        assert chunk.text.startswith("Jan (tech), 2025-03-10 09:20:\n")
        assert word_tokens(chunk.text) <= 60
        assert chunk.text.rstrip().endswith(".")
    body = " ".join(c.text.split("\n", 1)[1].removeprefix("[note] ") for c in turns)
    assert normalize(body) == normalize(" ".join(sentences))


def test_split_to_fit_cuts_a_sentence_without_ends_at_words():
    pieces = split_to_fit("woord " * 300, 50)
    assert all(word_tokens(p) <= 50 for p in pieces)
    assert sum(len(p.split()) for p in pieces) == 300


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("QUJDRA" * 400_000, id="2.4 MB without a space (base64)"),
        pytest.param("regel zonder einde " * 120_000, id="2.3 MB of words without a sentence end"),
    ],
)
def test_a_huge_text_without_sentence_ends_is_cut_into_windows_never_counted_whole(text):
    largest = []

    def count(piece: str) -> int:  # a tokenizer-like count: about 3 characters a token, 2 special tokens
        largest.append(len(piece))
        return len(piece) // 3 + 2

    pieces = split_to_fit(text, 200, count)
    assert max(largest) <= 200 * CHARS_PER_TOKEN_MAX
    assert all(count(p) <= 200 for p in pieces)
    assert "".join(p.replace(" ", "") for p in pieces) == text.replace(" ", "")


def test_embed_key_ignores_whitespace_and_unicode_form_but_not_the_model():
    assert embed_key("m", "Café  Het\nHoekje ") == embed_key("m", "Cafe\u0301 Het Hoekje")
    assert embed_key("m", "Café") != embed_key("other", "Café")
    assert embed_key("m", "Café") != embed_key("m", "Cafe")


def test_a_chunk_embeds_its_documents_title_and_a_turn_its_words_without_who_and_when():
    session = _ticket()
    chunks = {c.chunk_id.split(":", 1)[1]: c for c in chunk_session(session)}
    comment = chunks["comment:0"]
    assert comment.text.startswith("Priya (tech), 2025-03-10 09:05:\n")
    assert comment.embed_text == "Outlook wachtwoordprompt\nNieuw profiel aangemaakt."
    assert chunks["resolution:0"].embed_text.startswith("Outlook wachtwoordprompt\nResolution:\n")
    assert chunks["header:0"].embed_text == ""  # the whole text, which holds the title, is embedded


def test_a_tiny_acknowledgement_is_no_chunk_of_its_own_but_a_short_identifier_is():
    session = _ticket()
    session.segments.append(_segment(11, "Priya", AuthorRole.TECH, SegmentKind.COMMENT, "Assigned, installed."))
    session.segments.append(_segment(12, "Kees", AuthorRole.CUSTOMER, SegmentKind.COMMENT, "Zie KK-2025-0142"))
    texts = [c.text for c in chunk_session(session)]
    assert not any("Assigned" in t for t in texts)
    assert any("KK-2025-0142" in t for t in texts)
