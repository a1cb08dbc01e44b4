"""The library must stay publishable on its own: nothing under api/ may import Home Assistant."""

import ast
from pathlib import Path

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
