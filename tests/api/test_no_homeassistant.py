"""The library must stay publishable on its own: nothing under api/ may import Home Assistant."""

import ast
import os
from pathlib import Path
import shutil
import subprocess
import sys

from custom_components.smart_kitchen import api

API_DIR = Path(api.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Return every absolute module name a file imports, at any depth of its syntax tree."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_library_does_not_import_homeassistant() -> None:
    """No module of the library imports homeassistant (nor anything of the integration)."""
    files = sorted(API_DIR.rglob("*.py"))
    assert len(files) >= 7
    offenders = {
        str(path.relative_to(API_DIR)): sorted(
            name
            for name in imported_modules(path)
            if name.split(".")[0] in {"homeassistant", "custom_components"}
        )
        for path in files
    }
    assert {file: names for file, names in offenders.items() if names} == {}


def test_the_check_sees_nested_imports(tmp_path: Path) -> None:
    """Imports inside functions and TYPE_CHECKING blocks are found too."""
    module = tmp_path / "sample.py"
    module.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from homeassistant.core import HomeAssistant\n"
        "def f():\n    import homeassistant.helpers\n"
        "from . import sibling\n"
    )
    assert imported_modules(module) == {
        "typing",
        "homeassistant.core",
        "homeassistant.helpers",
    }


def test_library_ships_py_typed() -> None:
    """Type checkers of library users see the annotations."""
    assert (API_DIR / "py.typed").is_file()


# Runs in a fresh interpreter where Home Assistant and the integration cannot be imported at all.
_BLOCKED_RUN = """
import runpy, sys
sys.modules["homeassistant"] = None
sys.modules["custom_components"] = None
try:
    import homeassistant.core
except ImportError:
    pass
else:
    raise SystemExit("the blocker let homeassistant through")
import smart_kitchen_api
smart_kitchen_api.SmartKitchenClient("http://127.0.0.1:8765")
runpy.run_module("smart_kitchen_api", run_name="__main__", alter_sys=True)
"""


def test_library_runs_as_a_top_level_package_without_homeassistant(
    tmp_path: Path,
) -> None:
    """A copy of api/ named like a PyPI package imports and runs its CLI with HA blocked.

    Unlike the source check above, this also catches relative imports that reach out of api/
    (`from ..const import X`) and imports hidden behind strings or plugins.
    """
    shutil.copytree(
        API_DIR,
        tmp_path / "smart_kitchen_api",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _BLOCKED_RUN, "--help"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert "watch" in result.stdout
    assert result.stderr == ""
