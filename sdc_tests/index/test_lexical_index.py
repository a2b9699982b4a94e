import sqlite3

from sdc_resources.lexical_index import LexicalIndex, LexicalRow, identifiers


def _row(chunk_id: str, text: str, own: str = "", day: str = "2025-03-10") -> LexicalRow:
    return LexicalRow(chunk_id, "tickets", day, "ticketportaal", "", int(day.replace("-", "")), text, own)


def test_identifiers_are_kept_whole():
    text = "Zie KK-2025-0142 op 192.168.40.12, fout 0x80070005, serienummer 5CG1234XYZ, host PRN-FIN-01"
    assert identifiers(text) == ["kk_2025_0142", "192_168_40_12", "0x80070005", "5cg1234xyz", "prn_fin_01"]


def test_the_document_an_identifier_names_ranks_above_one_that_mentions_it(tmp_path):
    index = LexicalIndex(tmp_path / "lexical.sqlite")
    header = "Title: Printer drukt niet af\nTicket number: KK-2025-0142"
    index.sync_day(
        "2025-03-10",
        [
            _row("t1:comment:0", "Zelfde probleem als KK-2025-0142"),
            _row("t2:header:0", header, own=header),
            _row("t2:description:0", "De printer drukt niet meer af, taken blijven hangen in de wachtrij."),
            *(_row(f"o{n}:header:0", f"Ticket number: KK-2025-{n:04d}", own=f"KK-2025-{n:04d}") for n in range(120)),
        ],
    )
    result = index.search("KK-2025-0142", ["tickets"], {}, 10)
    ranked = [cid for cid, _, _ in result.ranked]
    assert (result.owners, result.exact) == (1, True)
    assert result.holders == {"t1:comment:0", "t2:header:0"}
    assert ranked[:2] == ["t2:header:0", "t1:comment:0"]  # then the tickets sharing "kk" and "2025"
    words = index.search("wachtrij 0x80070005", ["tickets"], {}, 10)
    assert [cid for cid, _, _ in words.ranked] == ["t2:description:0"]
    assert (words.owners, words.exact) == (0, True)  # "wachtrij" is in one chunk of 123: a rare word
    common = index.search("ticket number", ["tickets"], {}, 10)  # in 121 chunks
    assert (common.owners, common.exact) == (0, False)


def test_a_day_is_written_by_difference_and_an_older_layout_rebuilt(tmp_path):
    index = LexicalIndex(tmp_path / "lexical.sqlite")
    assert index.sync_day("2025-03-10", [_row("a:header:0", "one"), _row("b:header:0", "two")])["written"] == 2
    counts = index.sync_day("2025-03-10", [_row("a:header:0", "one"), _row("c:header:0", "three")])
    assert counts == {"written": 1, "deleted": 1}
    assert index.ids_of_day("2025-03-10") == {"a:header:0", "c:header:0"}
    with sqlite3.connect(index.path) as db:
        db.execute("PRAGMA user_version = 1")
    assert index.ids_of_day("2025-03-10") == set()  # emptied; the next sync writes the day again
    assert index.sync_day("2025-03-10", [_row("a:header:0", "one")])["written"] == 1


def test_a_few_words_with_a_rare_one_are_a_lookup_a_question_is_not(tmp_path):
    index = LexicalIndex(tmp_path / "lexical.sqlite")
    index.sync_day("2025-03-10", [_row(f"t{n}:header:0", f"laptop {n} start niet op") for n in range(10)])
    index.sync_day("2025-03-11", [_row("x:header:0", "HP EliteBook 840: VPN valt weg", day="2025-03-11")])
    assert index.search("laptop EliteBook", ["tickets"], {}, 10).exact
    assert not index.search("de VPN valt steeds weg op mijn EliteBook laptop", ["tickets"], {}, 10).exact
