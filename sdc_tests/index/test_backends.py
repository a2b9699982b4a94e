"""The embedding models: the default multilingual one, and a sentence-transformers model's ONNX backends,
exported once into the models folder, faithful to torch fp32, selectable by name."""

import numpy as np
import pytest

from sdc_resources import embedder as embedder_module
from sdc_resources import onnx_export
from sdc_resources.embedder import BUNDLED_MODEL, USE_MODEL, Embedder

TEXTS = [
    "Outlook vraagt steeds om het wachtwoord na de migratie naar Exchange Online.",
    "Printer op de tweede verdieping geeft foutmelding 0x0000011b bij afdrukken.",
    "VPN connection drops every ten minutes on the sales laptops.",
    "Back-up job in Veeam failed: not enough space on the NAS share.",
]


@pytest.fixture(scope="module")
def minilm() -> Embedder:
    """A sentence-transformers model (the bundled one) through torch: the reference of its other backends."""
    return Embedder(model=BUNDLED_MODEL, backend="torch")


@pytest.fixture
def reference(minilm) -> np.ndarray:
    return minilm.encode(TEXTS)


def test_onnx_is_exported_once_and_gives_torch_vectors(tmp_path, reference, minilm, monkeypatch):
    onnx = Embedder(model=BUNDLED_MODEL, backend="onnx", models_dir=str(tmp_path))
    vectors = onnx.encode(TEXTS)

    assert np.min((vectors * reference).sum(axis=1)) > 0.9999
    assert onnx.model_id == minilm.model_id  # same vectors, so one embedding cache for both
    (folder,) = tmp_path.iterdir()
    assert folder.name.startswith("all-MiniLM-L6-v2-")
    assert folder.name.endswith("-onnx")
    assert (folder / "onnx" / "model.onnx").is_file()
    assert not list(folder.glob("*.safetensors"))

    def no_second_export(*args):
        raise AssertionError("exported again")

    monkeypatch.setattr(onnx_export, "_export", no_second_export)
    embedder_module._load_model.cache_clear()
    again = Embedder(model=BUNDLED_MODEL, backend="onnx", models_dir=str(tmp_path))
    assert np.allclose(again.encode(TEXTS), vectors, atol=1e-5)


def test_int8_is_close_to_torch_and_keeps_its_own_cache(tmp_path, reference, minilm):
    int8 = Embedder(model=BUNDLED_MODEL, backend="onnx-int8", models_dir=str(tmp_path))
    cosine = (int8.encode(TEXTS) * reference).sum(axis=1)

    assert cosine.min() > 0.95  # close, but not the same vectors ...
    assert int8.model_id != minilm.model_id  # ... so never mixed with fp32 ones in the cache
    (folder,) = tmp_path.iterdir()
    assert folder.name.endswith(f"-onnx-int8-{onnx_export.int8_target()}")
    assert [p.name for p in (folder / "onnx").iterdir()] == [f"model_qint8_{onnx_export.int8_target()}.onnx"]


def test_a_concurrent_export_that_finished_first_is_kept(tmp_path, monkeypatch):
    model_path = Embedder(model=BUNDLED_MODEL).model_path()
    folder = onnx_export.export_folder(tmp_path, "all-MiniLM-L6-v2", model_path, "onnx")

    def racing_export(source, build, backend):
        for target in (build, folder):  # ours in the temp folder, theirs already in place
            (target / "onnx").mkdir(parents=True)
            (target / "onnx" / "model.onnx").write_text(target.name)

    monkeypatch.setattr(onnx_export, "_export", racing_export)
    assert onnx_export.exported(tmp_path, "all-MiniLM-L6-v2", model_path, "onnx") == (str(folder), "onnx/model.onnx")
    assert (folder / "onnx" / "model.onnx").read_text() == folder.name
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no temp folder left behind


def test_an_unknown_backend_is_refused_by_name():
    with pytest.raises(ValueError, match=r"'openvino'.*torch.*onnx.*onnx-int8"):
        Embedder(model=BUNDLED_MODEL, backend="openvino").encode(["x"])


def test_a_retrained_model_at_the_same_path_exports_anew(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights v1")
    before = onnx_export.export_folder(tmp_path, "mine", str(model), "onnx")
    (model / "model.safetensors").write_bytes(b"weights v2")
    assert onnx_export.export_folder(tmp_path, "mine", str(model), "onnx") != before


def test_the_default_model_puts_a_dutch_text_beside_its_english_meaning_not_beside_other_dutch(embedder):
    assert embedder.model_id == USE_MODEL
    dutch = [
        "De printer op de tweede verdieping drukt niet meer af, taken blijven in de wachtrij staan.",
        "Outlook vraagt steeds opnieuw om het wachtwoord.",
        "De back-up naar de NAS is vannacht mislukt: onvoldoende schijfruimte.",
    ]
    english = [
        "The printer on the second floor stopped printing; jobs stay in the queue.",
        "Outlook keeps asking for the password again and again.",
        "Last night's backup to the NAS failed: not enough disk space.",
    ]
    vectors = embedder.encode([*dutch, *english])
    assert vectors.shape == (6, 512)
    similarity = vectors[:3] @ vectors[3:].T
    assert list(similarity.argmax(axis=1)) == [0, 1, 2]
    within_dutch = vectors[:3] @ vectors[:3].T
    assert similarity.diagonal().min() > within_dutch[~np.eye(3, dtype=bool)].max()
    assert embedder.count_tokens("KK-2025-0142 printer") > 2
