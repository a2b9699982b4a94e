"""Preview tables in asset metadata."""

from sdc_assets.metadata import preview_table


def test_numbers_stay_numbers_and_text_is_cut_to_one_line():
    table = preview_table([{"id": 1, "score": 0.5, "ok": True, "text": "a\nb" + "x" * 200, "tags": ["k"]}])
    assert [(c.name, c.type) for c in table.schema.columns] == [
        ("id", "int"),
        ("score", "float"),
        ("ok", "bool"),
        ("text", "string"),
        ("tags", "string"),
    ]
    (record,) = table.records
    assert record.data["id"] == 1
    assert record.data["text"] == ("a b" + "x" * 200)[:80]
    assert record.data["tags"] == "['k']"


def test_a_column_of_mixed_values_is_text_and_none_stays_empty():
    table = preview_table([{"v": 1}, {"v": "two"}, {"v": None}])
    assert table.schema.columns[0].type == "string"
    assert [r.data["v"] for r in table.records] == ["1", "two", None]


def test_no_rows_give_an_empty_table():
    table = preview_table([])
    assert table.records == []
    assert table.schema.columns == []
