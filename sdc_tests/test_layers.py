"""The layers import downwards only: sources know the sessions core, enrichment knows sources, the index knows
enrichment, the graph knows the index; no layer imports another's asset or sensor module (they meet by asset
key), and ``sdc_resources`` never imports ``sdc_assets``; modules and functions stay small."""

import ast
from concurrent.futures import ThreadPoolExecutor
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


def _parse(source: str) -> ast.Module:
    """``ast.parse`` in a fresh thread: CPython 3.11's parser can fail with "AST constructor recursion depth
    mismatch" in a thread whose recursion counter an earlier deep recursion left behind (gh-106905)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(ast.parse, source).result()


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(_parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
    return found


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
            for node in ast.walk(_parse(source)):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno - node.lineno >= 60:
                    too_big.append(f"{'/'.join(parts)}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert too_big == []
