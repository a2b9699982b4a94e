"""ONNX exports of a sentence-transformers model, made once and cached under ``data/models/``.

``onnx`` is the model exported to ONNX by optimum (same vectors as torch);
``onnx-int8`` adds onnxruntime's dynamic int8 quantization for this CPU's
instruction set. Each export lives in its own folder named after the model,
a fingerprint of its weights and the backend, built in a temporary folder and
renamed into place, so a crash or a concurrent export never leaves half a model.
"""

import hashlib
import logging
import platform
import re
import tempfile
import warnings
from pathlib import Path

log = logging.getLogger(__name__)

ONNX_FILE = "onnx/model.onnx"


def int8_target() -> str:
    """The quantization preset for this CPU: ``avx512_vnni``, ``avx512``, ``avx2`` or ``arm64``."""
    if platform.machine().lower() in ("arm64", "aarch64"):
        return "arm64"
    try:
        flags = set(Path("/proc/cpuinfo").read_text().split())
    except OSError:
        flags = set()
    if "avx512_vnni" in flags:
        return "avx512_vnni"
    return "avx512" if "avx512f" in flags else "avx2"


def model_file(backend: str) -> str:
    """The file inside an export folder that ``backend`` loads."""
    return ONNX_FILE if backend == "onnx" else f"onnx/model_qint8_{int8_target()}.onnx"


def fingerprint(model_path: str) -> str:
    """Short hash of a local model's weights (or of its name, for a hub id), so retrained weights export anew."""
    root = Path(model_path)
    digest = hashlib.sha256(model_path.encode())
    if root.is_dir():
        digest = hashlib.sha256()
        for weights in sorted(p for p in root.rglob("*") if p.suffix in (".safetensors", ".bin") and p.is_file()):
            with weights.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:12]


def export_folder(cache_root: Path, model: str, model_path: str, backend: str) -> Path:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", model).strip("_") or "model"
    suffix = backend if backend == "onnx" else f"{backend}-{int8_target()}"
    return cache_root / f"{slug}-{fingerprint(model_path)}-{suffix}"


def exported(cache_root: Path, model: str, model_path: str, backend: str) -> tuple[str, str]:
    """The folder and file of ``model`` for an ONNX ``backend``, exporting it first if it is not cached."""
    folder = export_folder(cache_root, model, model_path, backend)
    file_name = model_file(backend)
    if not (folder / file_name).is_file():
        cache_root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache_root, prefix=".export-") as tmp:
            build = Path(tmp) / "model"
            log.info("exporting %s to %s (once; cached in %s)", model, backend, folder)
            _export(model_path, build, backend)
            try:
                build.rename(folder)
            except OSError:
                if not (folder / file_name).is_file():
                    raise
                # a concurrent export finished first; theirs is as good as ours
    return str(folder), file_name


def _export(model_path: str, target: Path, backend: str) -> None:
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    with warnings.catch_warnings():  # tracer warnings and "save the export" advice: we save it
        warnings.simplefilter("ignore")
        st_backend_log = logging.getLogger("sentence_transformers.backend")
        level = st_backend_log.level
        st_backend_log.setLevel(logging.ERROR)
        try:
            model = SentenceTransformer(model_path, device="cpu", backend="onnx", model_kwargs={"export": True})
        finally:
            st_backend_log.setLevel(level)
    model.save_pretrained(str(target))
    if backend == "onnx-int8":
        export_dynamic_quantized_onnx_model(model, int8_target(), str(target))
        (target / ONNX_FILE).unlink()  # only the quantized file is loaded from this folder
    for weights in (*target.glob("*.safetensors"), *target.glob("*.bin")):
        weights.unlink()  # torch weights are not needed to run the ONNX file
