"""Counts for staff page headers that stay cheap at a million rows: each is counted only up to
a cap (an index range that stops there), all of them in one query (issue 13)."""

from __future__ import annotations

from django.db import connections
from django.db.models import Q, QuerySet

COUNT_CAP = 10_000


def counts_capped(queryset: QuerySet, conditions: dict[str, Q], *, cap: int | None = None) -> dict:
    """How many rows of ``queryset`` meet each condition, each counted to at most ``cap`` + 1
    (shown as "10,000+" by ``count_text``), in one round trip."""
    cap = COUNT_CAP if cap is None else cap
    parts, params = [], []
    for number, condition in enumerate(conditions.values()):
        rows = queryset.filter(condition).order_by().values("pk")[: cap + 1]
        sql, row_params = rows.query.sql_with_params()
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS counted_{number})")
        params.extend(row_params)
    if not parts:
        return {}
    with connections[queryset.db].cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return dict(zip(conditions, row, strict=True))


def count_text(number: int, *, cap: int | None = None) -> str:
    cap = COUNT_CAP if cap is None else cap
    return f"{cap:,}+" if number > cap else f"{number:,}"
