from sdc_assets.index.search import document_of, fuse


def test_a_document_found_by_both_lists_through_different_chunks_counts_for_both():
    dense = [("x:description:0", "tickets"), ("a:description:0", "tickets"), ("y:turn:0", "sessions")]
    lexical = [("z:header:0", "tickets"), ("a:header:0", "tickets")]
    documents = fuse([dense, lexical], [1.0, 1.0], k=60)
    assert documents["a"][0] == 2 / 62
    assert max(documents, key=lambda d: documents[d][0]) == "a"  # above x and z, each first in one list


def test_a_documents_rank_counts_documents_not_its_chunks_and_shows_its_best_chunk():
    dense = [("a:turn:0", "sessions"), ("a:turn:1", "sessions"), ("a:turn:2", "sessions"), ("b:turn:0", "sessions")]
    lexical = [("b:turn:4", "sessions"), ("a:turn:2", "sessions")]
    documents = fuse([dense, lexical], [1.0, 1.0], k=60)
    assert documents["b"][0] == 1 / 62 + 1 / 61  # second document in the dense list, however many chunks a had
    assert documents["a"] == (1 / 61 + 1 / 62, "a:turn:2")  # the chunk both lists name is shown
    assert document_of("kb_3:body:12") == "kb_3"
