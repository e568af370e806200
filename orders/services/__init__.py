"""Every write to orders, one module per job:

- ``quotes``: the signed price promise of the order form (DS-7);
- ``placement``: placing one order or a bulk list, debiting the wallet, scheduling dispatch;
- ``lifecycle``: the one state machine (``order_transition``) and every move after placement:
  cancel, reject, refuse, hold, complete, ship, release after the cancellation window, refunds;
- ``notifications``: the e-mails orders send, through the notification log.

Reads (``terms_need_acceptance``, ``orders_in_last_hour``, ``order_can_cancel``, …) live in
``orders.selectors``. The names below are the package's public interface:
``from orders.services import order_place`` keeps working whichever module holds it.
"""

from .lifecycle import (
    AVERAGE_SAMPLE,
    CABLE_ONLY,
    TRANSITIONS,
    order_cancel,
    order_certificate_token_ensure,
    order_close_without_refund,
    order_complete,
    order_delivery_confirm,
    order_hold,
    order_hold_release,
    order_refund_after_dispute,
    order_refund_on_request,
    order_refuse,
    order_reject,
    order_result_correct,
    order_ship,
    order_supplier_rejected,
    order_timeline_note,
    order_transition,
    orders_complete,
    orders_release_due,
    orders_transition,
    service_delivery_average_update,
)
from .notifications import (
    order_bulk_confirmation_notify,
    order_completed_notify,
    order_confirmation_notify,
    orders_completed_notify,
)
from .placement import (
    BULK_MAX_LINES,
    BulkLine,
    BulkReport,
    PlaceRequest,
    order_place,
    order_place_bulk,
)
from .quotes import QUOTE_SALT, Quote, quote_create, quote_price_to_charge, quote_read
from .upstream import order_staff_closed_upstream, order_upstream_cancel

__all__ = [
    "AVERAGE_SAMPLE",
    "BULK_MAX_LINES",
    "CABLE_ONLY",
    "QUOTE_SALT",
    "TRANSITIONS",
    "BulkLine",
    "BulkReport",
    "PlaceRequest",
    "Quote",
    "order_bulk_confirmation_notify",
    "order_cancel",
    "order_close_without_refund",
    "order_certificate_token_ensure",
    "order_complete",
    "order_completed_notify",
    "order_confirmation_notify",
    "orders_completed_notify",
    "order_delivery_confirm",
    "order_hold",
    "order_hold_release",
    "order_refund_after_dispute",
    "order_refund_on_request",
    "order_place",
    "order_place_bulk",
    "order_refuse",
    "order_reject",
    "order_result_correct",
    "order_ship",
    "order_staff_closed_upstream",
    "order_supplier_rejected",
    "order_upstream_cancel",
    "order_timeline_note",
    "order_transition",
    "orders_complete",
    "orders_release_due",
    "orders_transition",
    "quote_create",
    "quote_price_to_charge",
    "quote_read",
    "service_delivery_average_update",
]
