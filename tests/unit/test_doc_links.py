"""The docs stand alone: every link in README.md and docs/ points into the repository (or to a
public address), and none points at documents the repository does not have."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_relative_link_resolves_to_a_file_in_the_repository():
    broken = []
    for doc in DOCS:
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = (doc.parent / target.split("#", 1)[0]).resolve()
            if not path.exists() or ROOT not in path.parents:
                broken.append(f"{doc.relative_to(ROOT)}: {target}")
    assert broken == []


def test_no_doc_sends_the_reader_to_documents_outside_the_repository():
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        assert "shared docs" not in text, doc.name
        for name in ("contract.md", "design.md", "style.md", "domain.md", "platform-statuses.md"):
            assert name not in text or (ROOT / "docs" / name).exists(), f"{doc.name} names {name}"
