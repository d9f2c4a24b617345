"""Options from a config file, so a project's batch options are written once: ``xxgk.toml`` (the options at its top
level) or the ``[tool.xxgk]`` table of a ``pyproject.toml``.

The file is looked for in the working folder, then in each folder above it; the first folder holding either file
decides (``xxgk.toml`` first), as ruff and pytest do. ``xxgk --config FILE`` names one. Names are the options of
``pipeline.settings`` (``max_pages`` or ``max-pages``); an unknown name or a bad value is refused, naming the file
(``SettingsError``). A file option (``meta``) is read relative to the config file. The command line overrides the
file, and the file overrides the defaults.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from .errors import SettingsError
from .settings import Settings, path_options

NAMES = ("xxgk.toml", "pyproject.toml")


def find_config(start: str | Path | None = None) -> Path | None:
    """The config file that applies in ``start`` (the working folder by default), or None."""
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        for name in NAMES:
            f = folder / name
            if f.is_file() and (name == "xxgk.toml" or _has_table(f)):
                return f
    return None


def _has_table(pyproject: Path) -> bool:
    try:
        return "xxgk" in tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return False


def load_config(path: str | Path) -> dict[str, Any]:
    """The options a config file gives, checked (``SettingsError`` names the file and every bad option)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise SettingsError([f"{path}: cannot read it: {e}"]) from None
    except tomllib.TOMLDecodeError as e:
        raise SettingsError([f"{path}: not valid TOML: {e}"]) from None
    if path.name == "pyproject.toml":
        data = data.get("tool", {}).get("xxgk", {})
    if not isinstance(data, dict):
        raise SettingsError([f"{path}: the options must be a table of name = value"])
    options = {str(k).replace("-", "_"): v for k, v in data.items()}
    for name in path_options():
        if isinstance(options.get(name), str):
            options[name] = str((path.parent / options[name]).resolve())
    problems = _problems(options)
    if problems:
        raise SettingsError([f"{path}: {p}" for p in problems])
    return options


def _problems(options: dict[str, Any]) -> list[str]:
    """Every unknown name and every bad value (``Settings.resolve`` stops at the names)."""
    known = {f.name for f in fields(Settings)}
    problems = []
    for part in (
        {k: v for k, v in options.items() if k not in known},
        {k: v for k, v in options.items() if k in known},
    ):
        try:
            Settings.resolve(part)
        except SettingsError as e:
            problems += e.problems
    return problems
