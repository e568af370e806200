"""Customer lists paged by position, newest first: the page after a row is found by an index
range starting at that row (keyset), so page 1 and the oldest page cost the same on a reseller's
fifty thousand orders, and nothing is counted (issue 13: flat at a million orders).

A position is the row's time and id, written ``<microseconds since 1970>.<id>`` in the URL
(``?before=…`` for older rows, ``?after=…`` for newer ones, ``?oldest=1`` for the last page).
Both numbers go through ``storefronts.numbers``: junk is a 400, never a 500.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext

from .numbers import InvalidNumber, parse_int

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
# The positions a URL may name: 1970 … 9999 in microseconds.
MAX_MICROS = int((dt.datetime(9999, 12, 31, tzinfo=dt.UTC) - EPOCH).total_seconds()) * 10**6
PARAMS = ("before", "after", "oldest", "page")


def position_text(moment: dt.datetime, pk: int) -> str:
    delta = moment - EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 10**6 + delta.microseconds
    return f"{micros}.{pk}"


def position_parse(text: str, *, name: str) -> tuple[dt.datetime, int]:
    micros, dot, pk = (text or "").partition(".")
    if not dot:
        raise InvalidNumber(
            gettext("%(name)s must name a row of this list (time.id).") % {"name": name}
        )
    micros = parse_int(micros, name=name, maximum=MAX_MICROS)
    pk = parse_int(pk, name=name, minimum=1)
    return EPOCH + dt.timedelta(microseconds=micros), pk


@dataclass
class KeysetPage:
    """One page of rows and the query strings of its neighbours (``None`` where there is none).
    Templates iterate it like a Django ``Page`` and show ``_pager.html``'s links."""

    rows: list
    newer_query: str | None = None
    older_query: str | None = None
    newest_query: str | None = None
    oldest_query: str | None = None
    keyset: bool = field(default=True, init=False)

    def __iter__(self):
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __bool__(self) -> bool:
        return bool(self.rows)

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer_query or self.older_query)


def keyset_page(
    queryset: QuerySet, params: QueryDict, *, time_field: str, size: int = 25
) -> KeysetPage:
    """The page of ``queryset`` (any filters applied, no ordering needed) that ``params`` asks
    for, newest first by ``time_field`` then id. Reads ``size + 1`` rows, nothing more."""
    before, after = params.get("before"), params.get("after")
    oldest = params.get("oldest") == "1"
    newest_first = queryset.order_by(f"-{time_field}", "-pk")
    oldest_first = queryset.order_by(time_field, "pk")
    if before:
        moment, pk = position_parse(before, name="before")
        # "<= moment" lets the index position the scan; the OR only drops equal-time rows.
        rows = list(
            newest_first.filter(**{f"{time_field}__lte": moment}).filter(
                Q(**{f"{time_field}__lt": moment}) | Q(pk__lt=pk)
            )[: size + 1]
        )
        more_older, more_newer = len(rows) > size, True
        rows = rows[:size]
    elif after or oldest:
        found = oldest_first
        if after:
            moment, pk = position_parse(after, name="after")
            found = found.filter(**{f"{time_field}__gte": moment}).filter(
                Q(**{f"{time_field}__gt": moment}) | Q(pk__gt=pk)
            )
        rows = list(found[: size + 1])
        more_newer, more_older = len(rows) > size, bool(after)
        rows = rows[:size][::-1]
    else:
        rows = list(newest_first[: size + 1])
        more_older, more_newer = len(rows) > size, False
        rows = rows[:size]

    def query(**changes) -> str:
        kept = params.copy()
        for name in PARAMS:
            kept.pop(name, None)
        kept.update(changes)
        return kept.urlencode()

    page = KeysetPage(rows=rows)
    if rows and more_newer:
        first = rows[0]
        page.newer_query = query(after=position_text(getattr(first, time_field), first.pk))
        page.newest_query = query()
    if rows and more_older:
        last = rows[-1]
        page.older_query = query(before=position_text(getattr(last, time_field), last.pk))
        page.oldest_query = query(oldest="1")
    return page
