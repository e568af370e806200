"""Labels staff and customers read carry no policy rule ids (docs/policy.md): the ids belong in
code comments, docstrings and tests, where they say why a line exists."""

from __future__ import annotations

import re

from django.utils.functional import Promise, lazy

_RULE_ID = r"(?:IS|DS)-\d+"
_RULE_IDS = rf"{_RULE_ID}(?:\s*(?:,|/|and|or)\s*{_RULE_ID})*"
RULE_IDS_RE = re.compile(
    rf"\s*\({_RULE_IDS}\)"  # "Suspected fraud (DS-2)", "(IS-10, DS-14)"
    rf"|\s*\({_RULE_ID}\b[^()]*\)"  # "(IS-3 or the guarantee of DS-9)", "(DS-11 uses 10)"
    rf"|^{_RULE_IDS}(?::\s*|\s*$)"  # "IS-7 / DS-16", "IS-9: a shipped cable unlock …"
)


def without_rule_ids(text):
    """Staff read labels, not the policy's rule ids (docs/policy.md): "Refuse and refund (DS-2)"
    → "Refuse and refund"; a help text that was only ids ("IS-7 / DS-16") becomes empty. The
    ids stay in code comments and docstrings, where they say why a line exists. A translatable
    (lazy) label stays lazy: it is cleaned in the language it is read in."""
    if isinstance(text, Promise):
        return _without_rule_ids_lazy(text)
    if not isinstance(text, str) or not text:
        return text
    cleaned = RULE_IDS_RE.sub("", text).strip()
    return cleaned[:1].upper() + cleaned[1:] if cleaned and cleaned != text else cleaned


_without_rule_ids_lazy = lazy(lambda text: without_rule_ids(str(text)), str)


def choices_without_rule_ids(choices):
    return [(value, without_rule_ids(label)) for value, label in choices]
