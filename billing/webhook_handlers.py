"""Stripe events that apps above billing handle (refunds), registered when those apps load.

Billing owns the one webhook endpoint and stores every event id once; an event type it does not
handle itself is handed to the handler an upper app registered for it (DESIGN.md: the higher app
calls down, here by registering a callable at start-up), so billing never imports refunds.
"""

from __future__ import annotations

from collections.abc import Callable

Handler = Callable[..., str]
_handlers: dict[str, Handler] = {}


def stripe_event_handler_register(event_type: str, handler: Handler) -> None:
    _handlers[event_type] = handler


def stripe_event_handler_for(event_type: str) -> Handler | None:
    return _handlers.get(event_type)
