"""api/'s rooms import only the rooms before them, as api/__init__.py says."""

import ast
from pathlib import Path

import pytest

API = Path(__file__).resolve().parent.parent / "api"
# In order: each may import those before it (and api.errors, the one error shape).
ROOMS = ["text", "storage", "writing", "reading", "webhooks", "web", "resources"]


def _imported_rooms(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "api":  # from api import x
            names = [f"api.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:  # unresolved: refused below
            names = ["api.<relative>"]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "api" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("room", ROOMS)
def test_a_room_imports_only_the_rooms_before_it(room):
    allowed = {*ROOMS[:ROOMS.index(room) + 1], "errors"}
    strays = {str(path.relative_to(API)): sorted(_imported_rooms(path) - allowed)
              for path in (API / room).rglob("*.py") if _imported_rooms(path) - allowed}

    assert strays == {}


def test_the_error_shape_every_room_imports_imports_no_room():
    assert _imported_rooms(API / "errors.py") == set()


def test_every_module_of_api_is_in_a_room_or_one_of_the_few_at_the_top():
    top = {path.stem for path in API.glob("*.py")}

    assert top == {"__init__", "app", "cli", "config", "errors", "server", "transfer",
                   "worker"}
    assert {path.name for path in API.iterdir() if path.is_dir()} - {"__pycache__"} == set(
        ROOMS)
