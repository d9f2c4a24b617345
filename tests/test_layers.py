"""The import rules of the package, checked on its source: the layers stay as drawn, with no arrow back up.

- ``model``, ``issues``, ``errors`` (and the leaf helpers ``text``, ``settings``) import nothing of the package but
  each other as listed;
- extractors import only the model and their helpers (errors, formats, settings, text, textcodec, each other);
- no stage imports the orchestration (``run``, ``batch``, its engines and parts, ``cli``);
- nothing but the command line and the fetching modules themselves imports the fetching (web) modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "pipeline"
LEAVES = {
    "pipeline.model": set(),
    "pipeline.issues": set(),
    "pipeline.errors": set(),
    "pipeline.text": set(),
    "pipeline.textcodec": set(),
    "pipeline.settings": {"pipeline.errors"},
}
EXTRACT_ALLOWED = {
    "pipeline.model",
    "pipeline.errors",
    "pipeline.formats",
    "pipeline.settings",
    "pipeline.text",
    "pipeline.textcodec",
}
ORCHESTRATION = {
    "pipeline.run",
    "pipeline.batch",
    "pipeline.engines",
    "pipeline.parts",
    "pipeline.cli",
    "pipeline.__main__",
}
FETCHING = {  # the web side: only the command line and the other fetching modules reach for it
    "pipeline.fetch",
    "pipeline.webpage",
    "pipeline.crawl",
    "pipeline.downloads",
    "pipeline.sources",
}
STAGES = {
    "pipeline.locate",
    "pipeline.match",
    "pipeline.normalise",
    "pipeline.reconcile",
    "pipeline.labels",
    "pipeline.schema",
    "pipeline.meta",
    "pipeline.places",
    "pipeline.narrative",
    "pipeline.tables",
}


def _module(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Package modules imported by ``path`` (absolute, at any depth: inside functions too)."""
    mod = _module(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            out |= {n for n in [target, *names] if n.startswith("pipeline") and _exists(n)}
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("pipeline")}
    out.discard(mod)
    return out


def _exists(name: str) -> bool:
    p = PKG.parent.joinpath(*name.split("."))
    return p.with_suffix(".py").exists() or (p / "__init__.py").exists()


MODULES = {_module(p): _imports(p) for p in sorted(PKG.rglob("*.py"))}


def test_the_import_map_was_read():
    assert {"pipeline.model", "pipeline.run", "pipeline.extract.pdf", "pipeline.cli"} <= set(MODULES)
    assert "pipeline.model" in MODULES["pipeline.extract.docx"]


def test_leaves_import_nothing_of_the_package():
    for mod, allowed in LEAVES.items():
        assert MODULES[mod] <= allowed, (mod, MODULES[mod] - allowed)


def test_extractors_import_only_the_model_and_their_helpers():
    for mod, imports in MODULES.items():
        if mod.startswith("pipeline.extract"):
            bad = {i for i in imports if not i.startswith("pipeline.extract") and i not in EXTRACT_ALLOWED}
            assert not bad, (mod, bad)


def test_no_stage_or_extractor_imports_the_orchestration():
    for mod, imports in MODULES.items():
        if mod in STAGES or mod.startswith("pipeline.extract") or mod in LEAVES:
            assert not imports & ORCHESTRATION, (mod, imports & ORCHESTRATION)


def test_no_import_cycles():
    graph = {m: {i for i in imports if i in MODULES} for m, imports in MODULES.items()}
    graph = {m: {i for i in deps if i != "pipeline"} for m, deps in graph.items() if m != "pipeline"}
    state: dict[str, int] = {}

    def visit(m: str, trail: list[str]) -> None:
        state[m] = 1
        for d in graph.get(m, ()):
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join([*trail, m, d]))
            if d not in state:
                visit(d, [*trail, m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


def test_only_the_command_line_reaches_the_web():
    for mod, imports in MODULES.items():
        if mod not in FETCHING and mod != "pipeline.cli":
            assert not imports & FETCHING, (mod, imports & FETCHING)
