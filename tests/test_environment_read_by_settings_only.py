"""The environment is read in one place, ``pipeline/config.py``, so every variable a deployment can set is
documented and checked there (spec/interfaces.md, the README's configuration table). A module that reads
``os.environ`` or ``os.getenv`` itself fails this test: take the value from ``Settings`` instead."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The one module allowed to read the process environment.
CONFIGURATION = ROOT / "pipeline" / "config.py"
READERS = {"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"}


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


def test_only_the_configuration_module_reads_the_environment() -> None:
    modules = sorted([*(ROOT / "pipeline").rglob("*.py"), *(ROOT / "dags").rglob("*.py")])
    assert CONFIGURATION in modules and len(modules) > 50  # the scan sees the package, not an empty folder
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in modules
        if path != CONFIGURATION
        for line in environment_reads(path.read_text(encoding="utf-8"))
    ]
    assert offenders == [], f"read these through pipeline.config.Settings instead: {offenders}"


def test_the_scan_recognises_every_spelling_of_an_environment_read() -> None:
    assert environment_reads("import os\nx = os.environ.get('CARM_HOME')\n") == [2]
    assert environment_reads("import os\nx = os.getenv('CARM_HOME', '')\n") == [2]
    assert environment_reads("import os\nif 'CARM_DEBUG' in os.environ:\n    pass\n") == [2]
    assert environment_reads("from os import environ as env\n") == [1]
    assert environment_reads("from os import getenv\n") == [1]
    assert environment_reads("from os import *\n") == [1]
    assert environment_reads("import os\nos.path.join('a', 'b')\nsettings.environ\n") == []
    assert environment_reads(CONFIGURATION.read_text(encoding="utf-8")) != []  # the reader itself is seen
