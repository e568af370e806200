"""Every rule id that code or tests name resolves to a row of docs/policy.md inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULE_ID = re.compile(r"\b(?:IS|DS)-\d+\b")
SOURCES = ("*.py", "*.html", "*.txt")
SKIP = {".venv", "var", "node_modules", "test-artifacts", ".git"}


def _ids_named_in_code() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for pattern in SOURCES:
        for path in ROOT.rglob(pattern):
            if SKIP.intersection(path.relative_to(ROOT).parts):
                continue
            for rule in RULE_ID.findall(path.read_text(encoding="utf-8", errors="replace")):
                found.setdefault(rule, path)
    return found


def test_every_rule_id_in_the_code_has_a_row_in_docs_policy():
    page = (ROOT / "docs" / "policy.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| ((?:IS|DS)-\d+) \|", page, flags=re.MULTILINE))
    named = _ids_named_in_code()
    missing = {
        rule: str(path.relative_to(ROOT)) for rule, path in named.items() if rule not in documented
    }
    assert not missing, f"rule ids named in code but not explained in docs/policy.md: {missing}"
    assert len(documented) >= 30
