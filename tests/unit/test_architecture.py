"""Dependencies point inward: rules know nothing of the app; nothing imports the edges."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Edges: what the outside world talks to (HTTP, pages, the CLI and its operations, the worker,
# the simulated day) and the request contract they share. Nothing inward imports them.
EDGES = ("guard.api", "guard.web", "guard.cli", "guard.cli_ops", "guard.simulate", "guard.requests", "worker")
# What only an edge (or the storage port) may know of: the web framework, the driver, request models.
FRAMEWORKS = ("starlette", "fastapi", "psycopg", "pydantic", "pydantic_core")


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


def within(name: str, packages: tuple[str, ...]) -> bool:
    # Whole module names: guard.webhooks is not guard.web, guard.cli_ops is not guard.cli.
    return any(name == p or name.startswith(p + ".") for p in packages)


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def test_services_storage_and_the_domain_never_import_an_edge():
    inner = [*modules("guard.services"), *modules("guard.storage"), *(ROOT / "guard").glob("*.py")]
    for path in inner:
        if within(module_name(path), EDGES):  # guard/cli.py and guard/cli_ops.py are edges themselves
            continue
        for name in imports_of(path):
            assert not within(name, EDGES), f"{path.relative_to(ROOT)} imports {name}"


def test_services_know_no_web_framework_driver_or_request_model():
    """Services take parsed domain values and a Context: no Request, no pydantic model, no driver
    (the storage port, guard/storage, owns the driver)."""
    for path in modules("guard.services"):
        for name in imports_of(path):
            assert not within(name, FRAMEWORKS), f"{path.relative_to(ROOT)} imports {name}"


def test_the_cli_operations_and_the_simulated_day_are_edges():
    """Nothing but an edge imports guard/cli_ops.py or guard/simulate/ (the CLI calls them)."""
    for path in [*modules("guard"), *modules("worker")]:
        name = module_name(path)
        if within(name, EDGES):
            continue
        for imported in imports_of(path):
            assert not within(imported, ("guard.cli_ops", "guard.simulate")), f"{name} imports {imported}"


def test_the_architecture_test_sees_the_modules_it_names():
    # A renamed package must not silently empty the checks above.
    names = {module_name(path) for path in modules("guard")}
    for package in ("guard.api", "guard.web", "guard.cli_ops", "guard.simulate", "guard.requests", "guard.services"):
        assert any(within(name, (package,)) for name in names), package
