"""The suite's own layout: shared helpers live in tests/support, so any test module can run
alone or on any xdist worker, and none depends on how pytest happened to import another."""

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def top_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_test_module_imports_conftest_or_another_test_module():
    local = {path.stem for path in TESTS.rglob("*.py") if path.parent.name != "support"}
    offenders = {
        str(path.relative_to(TESTS)): sorted(top_level_imports(path) & local)
        for path in TESTS.rglob("*.py")
        if top_level_imports(path) & local
    }
    assert offenders == {}, "share helpers from tests/support instead"
