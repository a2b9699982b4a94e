"""The layers import downwards only: sources know the sessions core, enrichment knows sources, the index knows
enrichment, the graph knows the index; no layer imports another's asset or sensor module (they meet by asset
key), and ``sdc_resources`` never imports ``sdc_assets``; modules and functions stay small."""

import functools
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LAYER = {
    "sessions": 0, "partitions": 0, "metadata": 0, "lineage": 0,
    "file_drop": 1, "syncro": 1, "ticketportaal": 1,
    "enrichment": 2,
    "index": 3,
    "graph": 4,
    "cli": 5, "definitions": 5,
}  # fmt: skip
WIRING = {"assets", "sensors", "reconcile"}  # a layer's Dagster definitions: reached by asset key, not by import


# Read in a fresh interpreter: CPython 3.11's parser can fail with "AST constructor recursion depth mismatch"
# in a process where earlier tests recursed deeply (the 10,000-deep JSON of the poison tests).
_SHAPES = """
import ast, json, sys
shapes = {}
for path in sys.argv[1:]:
    tree = ast.parse(open(path, encoding="utf-8").read())
    imports = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module and n.level == 0]
    imports += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    functions = [[n.name, n.end_lineno - n.lineno + 1] for n in ast.walk(tree)
                 if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    shapes[path] = {"imports": imports, "functions": functions}
print(json.dumps(shapes))
"""


@functools.cache
def _shapes() -> dict[str, dict]:
    """Per module of both packages: its absolute imports and its functions' lengths."""
    paths = [str(p) for package in ("sdc_assets", "sdc_resources") for p in sorted((ROOT / package).rglob("*.py"))]
    result = subprocess.run([sys.executable, "-c", _SHAPES, *paths], capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def _imports(path: Path) -> list[str]:
    return _shapes()[str(path)]["imports"]


def _modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        yield path, path.relative_to(ROOT).with_suffix("").parts


def test_every_module_of_sdc_assets_has_a_layer():
    assert {parts[1] for _, parts in _modules("sdc_assets") if len(parts) > 1} - {"__init__"} <= set(LAYER)


def test_sdc_resources_never_imports_sdc_assets():
    wrong = [
        f"{'/'.join(parts)} imports {name}"
        for path, parts in _modules("sdc_resources")
        for name in _imports(path)
        if name.split(".")[0] == "sdc_assets"
    ]
    assert wrong == []


def test_layers_import_downwards_and_never_another_layers_definitions():
    wrong = []
    for path, parts in _modules("sdc_assets"):
        here = parts[1]
        for name in _imports(path):
            target = name.split(".")
            if target[0] != "sdc_assets" or len(target) < 2 or target[1] == here:
                continue
            if LAYER[target[1]] > LAYER[here]:
                wrong.append(f"{'/'.join(parts)} imports {name} (a higher layer)")
            elif LAYER[here] < 5 and len(target) > 2 and target[2] in WIRING:
                wrong.append(f"{'/'.join(parts)} imports {name} (another layer's definitions)")
    assert wrong == []


def test_modules_and_functions_stay_small():
    """No module over 400 lines, no function over 60: the next engineer reads a piece at a time."""
    too_big = []
    for package in ("sdc_assets", "sdc_resources"):
        for path, parts in _modules(package):
            source = path.read_text()
            if (lines := source.count("\n")) > 400:
                too_big.append(f"{'/'.join(parts)}: {lines} lines")
            for name, length in _shapes()[str(path)]["functions"]:
                if length > 60:
                    too_big.append(f"{'/'.join(parts)}.{name}: {length} lines")
    assert too_big == []
