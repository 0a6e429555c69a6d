"""docs/integration.md lists every error code the guard can answer, and only those.

The codes are read from the code itself: every `code="…"` given to an error, every error
class's own `code`, every `{"code": "…"}` an answer carries, and what the HTTP layer maps
router refusals to. The doc's Errors tables must name exactly that set.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from guard.api.errors import _HTTP_CODES, OTHER_HTTP_CODE

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "integration.md"
UPPER_SNAKE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{3,}")
# The base classes' own defaults: every raise of these names its code (checked below).
BASE_DEFAULTS = {"BAD_REQUEST": "GuardError", "CONFLICT": "Conflict"}


def sources() -> list[Path]:
    # Not the rules (their codes are reasons, documented apart) nor the simulated day (its own program).
    skip = {ROOT / "guard" / "rules", ROOT / "guard" / "simulate", ROOT / "guard" / "migrations"}
    return [p for p in sorted((ROOT / "guard").rglob("*.py")) if not any(d in p.parents for d in skip)]


def constant(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and UPPER_SNAKE.fullmatch(node.value):
        return node.value
    return None


def codes_in_the_code() -> set[str]:
    found: set[str] = set()
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "code":
                found.add(constant(node.value) or "")
            elif isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "code" for t in statement.targets
                    ):
                        found.add(constant(statement.value) or "")
            elif isinstance(node, ast.Dict):
                for key, value in zip(node.keys, node.values):
                    if isinstance(key, ast.Constant) and key.value == "code":
                        found.add(constant(value) or "")
    found |= set(_HTTP_CODES.values()) | {OTHER_HTTP_CODE}
    return found - {""} - set(BASE_DEFAULTS)


def codes_in_the_doc() -> set[str]:
    section = DOC.read_text(encoding="utf-8").split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| *(?:\d{3}|any|–) *\| *`([A-Z0-9_]+)` *\|", section, re.M)
    assert len(rows) == len(set(rows)), "a code listed twice"
    return set(rows)


def test_the_doc_lists_every_error_code_in_the_code_and_no_other():
    in_code, in_doc = codes_in_the_code(), codes_in_the_doc()
    assert in_code - in_doc == set(), "answered but not documented"
    assert in_doc - in_code == set(), "documented but never answered"


def test_the_codes_the_brief_names_are_there():
    expected = {
        "CLEARANCE_USED", "CLEARANCE_EXPIRED", "CLEARANCE_NOT_FOUND", "ORDER_NOT_CLEAR", "LABEL_ALREADY_ISSUED",
        "NOT_LABELLED", "CODE_NOT_FOUND", "CODE_AMBIGUOUS", "TRACKING_MISMATCH", "ALREADY_HANDED_OVER",
        "LABEL_TRACKING_NOT_FOUND", "RATE_LIMITED", "VALIDATION_ERROR", "UNAVAILABLE", "TOO_LARGE",
    }  # fmt: skip
    assert expected <= codes_in_the_doc()


def test_no_error_is_raised_with_its_base_classs_default_code():
    """GuardError() and Conflict() without `code=` would answer BAD_REQUEST / CONFLICT, which no
    integrator was told of."""
    for path in sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in BASE_DEFAULTS.values()
            ):
                assert any(k.arg == "code" for k in node.keywords), f"{path.relative_to(ROOT)}:{node.lineno}"
