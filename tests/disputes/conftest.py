"""Dispute fixtures: delivered orders on both demos, dispute staff, real clips (PyAV) and a
temporary evidence storage."""

from __future__ import annotations

from functools import cache

import pytest
from django.test import Client

from orders.models import Order
from orders.services import order_complete, order_ship, order_transition
from tests.disputes.clips import evidence_storage, jpeg_image, uploaded, video_clip  # noqa: F401
from tests.factories import UserFactory, staff_group
from tests.orders.conftest import (  # noqa: F401 - order fixtures shared with these tests
    cable_reseller,
    funded_reseller,
    funded_retail,
    place,
    unlock_reseller,
    unlock_retail,
)
from tests.refunds.conftest import support_of

RETAIL_HOST = "imeiserver.localhost"
RESELLER_HOST = "doctorsim.localhost"


@cache
def clip_720p() -> bytes:
    return video_clip(1280, 720, frames=6, fps=2)


@cache
def clip_480p() -> bytes:
    return video_clip(854, 480, frames=6, fps=2)


def video(data: bytes | None = None, name: str = "dispute.mp4"):
    """A 720p, 3-second clip (or ``data``) as Django hands over an upload streamed to disk."""
    return uploaded(data if data is not None else clip_720p(), name)


def jpeg_upload():
    return uploaded(jpeg_image(), "screenshot.jpg")


def dispute_staff_of(storefront, email="disputes@example.com"):
    user = UserFactory(storefront=storefront, email=email, is_staff=True)
    user.groups.add(staff_group("Dispute admin"))
    return user


def deliver(order: Order, code: str = "12345678") -> Order:
    """Take an order through to "completed" the way the supplier's answer does."""
    if order.status == Order.Status.PENDING:
        order = order_transition(order=order, to=Order.Status.QUEUED)
    return order_complete(order=order, code=code)


def ship_cable(order: Order, staff) -> Order:
    """A cable unlock from the customer's phone arriving to it being shipped back."""
    order = order_transition(order=order, to=Order.Status.AWAITING_DEVICE)
    order = order_transition(order=order, to=Order.Status.DEVICE_RECEIVED)
    order = order_complete(order=order, actor=staff)
    return order_ship(order=order, tracking_number="TRACK-1", actor=staff)


def requirements(storefront) -> list[str]:
    return list(storefront.evidence_requirements)


def open_dispute(order, user=None, *, upload=None, **kw):
    from disputes.services import dispute_open

    return dispute_open(
        user=user or order.user,
        order=order,
        problem=kw.pop("problem", "code_not_accepted"),
        description=kw.pop("description", "I typed the code and the phone said it is wrong."),
        attestations=kw.pop("attestations", None) or requirements(order.storefront),
        upload=upload if upload is not None else video(),
        **kw,
    )


@pytest.fixture(autouse=True)
def _evidence_storage(evidence_storage):  # noqa: F811 - the clips fixture, for every test here
    return evidence_storage


@pytest.fixture
def retail_disputes(retail):
    return dispute_staff_of(retail)


@pytest.fixture
def reseller_disputes(reseller):
    return dispute_staff_of(reseller)


@pytest.fixture
def retail_support(retail):
    return support_of(retail)


@pytest.fixture
def delivered_retail(funded_retail, unlock_retail):  # noqa: F811
    return deliver(place(funded_retail, unlock_retail))


@pytest.fixture
def delivered_reseller(funded_reseller, unlock_reseller):  # noqa: F811
    return deliver(place(funded_reseller, unlock_reseller))


def client_for(user, host: str) -> Client:
    client = Client(HTTP_HOST=host)
    client.force_login(user)
    return client
