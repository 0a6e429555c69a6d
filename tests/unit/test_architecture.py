"""Dependencies point inward: rules know nothing of the app; nothing imports the edges."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EDGES = ("guard.api", "guard.web", "guard.cli", "worker")


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package.replace(".", "/")).rglob("*.py"))


def test_rules_import_only_the_domain_and_the_standard_library():
    for path in modules("guard.rules"):
        for name in imports_of(path):
            if name.startswith("guard"):
                assert name.startswith(("guard.rules", "guard.facts")), f"{path.name} imports {name}"
            else:
                assert name.split(".")[0] in {
                    "__future__",
                    "dataclasses",
                    "datetime",
                    "typing",
                    "collections",
                    "tomllib",
                    "math",
                    "enum",
                }, f"{path.name} imports {name}: rules stay pure"


def test_services_and_models_never_import_an_edge():
    inner = [*modules("guard.services"), *(ROOT / "guard").glob("*.py")]
    for path in inner:
        if path.name == "cli.py":
            continue
        for name in imports_of(path):
            # Whole module names: guard.webhooks is not guard.web, guard.cli_ops is not guard.cli.
            edge = any(name == e or name.startswith(e + ".") for e in EDGES)
            assert not edge, f"{path.relative_to(ROOT)} imports {name}"
