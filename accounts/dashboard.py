"""The staff dashboard on the admin home: a small registry of panels.

The admin site lives here, low in the house, but the figures come from apps above it (orders,
billing, refunds, disputes, providers). So the site only offers a registry: each of those apps
registers its own panels at start-up (``AppConfig.ready``), with the aggregate reads in its own
``selectors.py``, and the site renders the panels a member of staff may see, above the app list.

A panel is a template and a function from the dashboard's ``DashboardWindow`` (the storefront,
now, and the last ``DAYS`` days in the storefront's time zone) to that template's context. Each
panel's function makes a fixed number of aggregate queries over an indexed date range, whatever
the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from storefronts.models import Storefront

DAYS = 30  # the dashboard's window: the last 30 days, today included


@dataclass(frozen=True)
class DashboardWindow:
    """What every panel reads within: one storefront, one moment, the days that end with today
    in the storefront's own time zone."""

    storefront: Storefront
    now: dt.datetime
    tz: dt.tzinfo
    days: tuple[dt.date, ...]
    since: dt.datetime  # the start of the first day, in the storefront's zone
    today_end: dt.datetime  # the start of tomorrow, in the storefront's zone
    operator: bool = False  # a superuser, whose admin lists show every storefront's rows

    @classmethod
    def ending(
        cls, *, storefront: Storefront, now: dt.datetime, days: int = DAYS, operator: bool = False
    ):
        tz = storefront.calendar.tz
        today = now.astimezone(tz).date()
        first = today - dt.timedelta(days=days - 1)
        return cls(
            storefront=storefront,
            now=now,
            tz=tz,
            days=tuple(first + dt.timedelta(days=n) for n in range(days)),
            since=dt.datetime.combine(first, dt.time(0, 0), tzinfo=tz),
            today_end=dt.datetime.combine(today + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz),
            operator=operator,
        )

    def list_url(self, url: str, **params: str) -> str:
        """A link to an admin list with ``params`` as its filters; for the operator also this
        storefront's filter, so the list shows the rows the panel counted."""
        if self.operator:
            params["storefront__id__exact"] = str(self.storefront.pk)
        return f"{url}?{urlencode(params)}" if params else url


@dataclass(frozen=True)
class DashboardPanel:
    """One box on the admin home. ``permissions``: every one is needed to see it (e.g.
    ``"refunds.view_refundrequest"``); ``position``: smaller first."""

    name: str
    title: str
    template: str
    context: Callable[[DashboardWindow], dict]
    permissions: tuple[str, ...] = field(default_factory=tuple)
    position: int = 100


_PANELS: dict[str, DashboardPanel] = {}


def dashboard_panel_register(panel: DashboardPanel) -> None:
    """Called by a higher app at start-up. Registering the same name again replaces it."""
    _PANELS[panel.name] = panel


def dashboard_panels() -> list[DashboardPanel]:
    return sorted(_PANELS.values(), key=lambda p: (p.position, p.name))


def dashboard_panels_for(user) -> list[DashboardPanel]:
    """The panels ``user`` may see: staff with every view permission a panel names."""
    if not (user.is_active and user.is_staff):
        return []
    return [p for p in dashboard_panels() if all(user.has_perm(perm) for perm in p.permissions)]


def dashboard_render(*, request, storefront: Storefront, now: dt.datetime) -> list[SafeString]:
    """Each visible panel rendered to HTML, in order."""
    window = DashboardWindow.ending(
        storefront=storefront, now=now, operator=request.user.is_superuser
    )
    rendered = []
    for panel in dashboard_panels_for(request.user):
        context = {"panel": panel, "window": window, **panel.context(window)}
        rendered.append(render_to_string(panel.template, context, request=request))
    return rendered
