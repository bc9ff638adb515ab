"""The package's architecture, checked: no module reaches into another's private names.

The layers and the absence of import cycles are checked by import-linter (`lint-imports`,
contract in pyproject.toml), which `make test` runs before pytest.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "assistant"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def private_uses(source: str, me: str) -> list[str]:
    """`from assistant.x import _y`, and `m._y` where `m` is an imported module of the package."""
    tree = ast.parse(source)
    found: list[str] = []
    modules: set[str] = set()  # local names bound to modules of the package
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
            for alias in node.names:
                target = f"{node.module}.{alias.name}"
                if (PACKAGE.parent / Path(*target.split("."))).with_suffix(".py").exists() or (
                    PACKAGE.parent / Path(*target.split(".")) / "__init__.py"
                ).exists():
                    modules.add(alias.asname or alias.name)
                elif _private(alias.name) and node.module != me:
                    found.append(f"{me}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("assistant") and alias.asname:
                    modules.add(alias.asname)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
            and _private(node.attr)
        ):
            found.append(f"{me}: {node.value.id}.{node.attr}")
    return found


def test_no_module_uses_a_private_name_of_another():
    found = [
        use
        for path in sorted(PACKAGE.rglob("*.py"))
        for use in private_uses(path.read_text(encoding="utf-8"), _module_name(path))
    ]
    assert found == []


def test_the_check_sees_a_private_import():
    source = (
        "from assistant.answer.compose import _page\nfrom assistant.assess import riskmap as rm\nx = rm._question\n"
    )
    assert private_uses(source, "assistant.base.probe") == [
        "assistant.base.probe: from assistant.answer.compose import _page",
        "assistant.base.probe: rm._question",
    ]
    assert private_uses("from assistant.answer.compose import _page\n", "assistant.answer.compose") == []
