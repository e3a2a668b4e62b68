"""The environment is read in one place, ``pipeline/config.py``, so every variable a deployment can set is
documented and checked there (spec/interfaces.md, the README's configuration table), and the CLI and the DAGs see
the same values. A module that reads ``os.environ`` or ``os.getenv`` itself, or lets Typer/Click read a variable
for an option (``envvar=``), fails this test: take the value from ``Settings`` instead."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The one module allowed to read the process environment.
CONFIGURATION = ROOT / "pipeline" / "config.py"
READERS = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}
OPTION_READERS = {"envvar", "auto_envvar_prefix"}


def environment_reads(source: str) -> list[int]:
    """The lines of ``source`` that touch the process environment: ``os.environ``/``os.getenv``/…, or such a
    name imported from ``os`` (whatever it is renamed to)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in READERS:
            if isinstance(node.value, ast.Name) and node.value.id in {"os", "posix", "nt"}:
                lines.append(node.lineno)
        elif isinstance(node, ast.ImportFrom) and node.module in {"os", "posix", "nt"}:
            if any(alias.name in READERS or alias.name == "*" for alias in node.names):
                lines.append(node.lineno)
    return sorted(lines)


def option_environment_reads(source: str) -> list[tuple[int, str]]:
    """The options of ``source`` that Typer/Click fill from the environment: ``(line, variable)``."""
    settings = []  # (name, value): keyword arguments, and the keys of a context_settings={...} dict
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.keyword) and node.arg is not None:
            settings.append((node.arg, node.value))
        elif isinstance(node, ast.Dict):
            settings += [(key.value, value) for key, value in zip(node.keys, node.values, strict=True)
                         if isinstance(key, ast.Constant) and isinstance(key.value, str)]
    return sorted(
        (value.lineno, value.value if isinstance(value, ast.Constant) else ast.unparse(value))
        for name, value in settings
        if name in OPTION_READERS
    )


def modules() -> list[Path]:
    found = sorted([*(ROOT / "pipeline").rglob("*.py"), *(ROOT / "dags").rglob("*.py")])
    assert CONFIGURATION in found and len(found) > 50  # the scan sees the package, not an empty folder
    return found


def test_only_the_configuration_module_reads_the_environment() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in modules()
        if path != CONFIGURATION
        for line in environment_reads(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], f"read these through pipeline.config.Settings instead: {offenders}"


def test_no_command_option_is_read_from_the_environment_behind_settings() -> None:
    # An option's default comes from Settings (the command falls back to runtime.settings), never from envvar=.
    offenders = [
        f"{path.relative_to(ROOT)}:{line} ({variable})"
        for path in modules()
        for line, variable in option_environment_reads(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], f"read these through pipeline.config.Settings instead of envvar=: {offenders}"


def test_the_scan_recognises_every_spelling_of_an_environment_read() -> None:
    assert environment_reads("import os\nx = os.environ.get('CARM_HOME')\n") == [2]
    assert environment_reads("import os\nx = os.getenv('CARM_HOME', '')\n") == [2]
    assert environment_reads("import os\nif 'CARM_DEBUG' in os.environ:\n    pass\n") == [2]
    assert environment_reads("from os import environ as env\n") == [1]
    assert environment_reads("from os import getenv\n") == [1]
    assert environment_reads("from os import *\n") == [1]
    assert environment_reads("import os\nos.path.join('a', 'b')\nsettings.environ\n") == []
    assert environment_reads(CONFIGURATION.read_text(encoding="utf-8")) != []  # the reader itself is seen
    option = 'typer.Option("--as-of", envvar="CARM_AS_OF", help="…")\n'
    assert option_environment_reads(option) == [(1, "CARM_AS_OF")]
    assert option_environment_reads("typer.Typer(context_settings={'auto_envvar_prefix': 'CARM'})\n") == [(1, "CARM")]
    assert option_environment_reads("click.command(auto_envvar_prefix=PREFIX)\n") == [(1, "PREFIX")]
