"""The demo chain's upstream step: a retail dispute forwarded, over real HTTP, to the reseller
storefront the order came from, through its JSON API with the key stored on the connection
(IS-9 on the retail side, DS-13 on the reseller side)."""

from __future__ import annotations

import pytest

from accounts.api_keys import api_key_create
from billing.demo import demo_packages_seed
from disputes import services
from disputes.exceptions import DisputeStateError
from disputes.models import Dispute
from disputes.upstream import UpstreamError
from orders.models import Order
from providers.models import ProviderConnection, ServiceRoute
from tests.billing.conftest import paid_topup
from tests.disputes.conftest import deliver, dispute_staff_of, open_dispute
from tests.factories import UserFactory, demo_storefront
from tests.orders.conftest import VALID_IMEIS, place, service_make

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def chain(live_server):
    """The reseller demo as the retail demo's supplier, with one order placed upstream."""
    reseller = demo_storefront("doctorsim")
    retail = demo_storefront("imeiserver")
    upstream_service = service_make(reseller, "imei_unlock", "12.00")
    buyer = UserFactory(storefront=reseller, email="imeiserver-upstream@example.com")
    demo_packages_seed(reseller)
    paid_topup(buyer, package=reseller.credit_packages.get(credits=100))
    _row, key = api_key_create(user=buyer, name="retail demo")
    connection = ProviderConnection.objects.create(
        storefront=retail,
        name="DoctorSIM Pro (DHRU API)",
        kind=ProviderConnection.Kind.DHRU,
        base_url=live_server.url + "/",
        host_header="doctorsim.localhost",
        username=buyer.email,
        api_key=key,
    )
    service = service_make(retail, "imei_unlock", "20.00")
    route = ServiceRoute.objects.create(
        service=service, connection=connection, remote_service_id=str(upstream_service.pk)
    )
    customer = UserFactory(storefront=retail, email="customer@example.com")
    paid_topup(customer, "100.00")
    upstream_order = place(buyer, upstream_service, imei=VALID_IMEIS[2])
    order = place(customer, service, imei=VALID_IMEIS[2])
    Order.objects.filter(pk=order.pk).update(route=route, provider_ref=str(upstream_order.pk))
    return {
        "order": Order.objects.get(pk=order.pk),
        "upstream_order": upstream_order,
        "buyer": buyer,
        "staff": dispute_staff_of(retail),
    }


def test_a_retail_dispute_is_forwarded_to_the_reseller_with_its_video(chain):
    upstream_order = deliver(chain["upstream_order"])
    order = deliver(chain["order"])
    dispute = open_dispute(order)
    services.dispute_upstream_forward(dispute_id=dispute.pk, actor=chain["staff"])
    remote = Dispute.objects.get(order=upstream_order)
    assert remote.user == chain["buyer"]
    assert remote.storefront.slug == "doctorsim"
    assert remote.attestations == remote.storefront.evidence_requirements  # DS-13's own list
    assert f"dispute {dispute.pk}" in remote.description
    video = remote.evidence.get()
    assert (video.width, video.height, video.content_type) == (1280, 720, "video/mp4")
    assert video.size_bytes == dispute.evidence.get().size_bytes
    dispute.refresh_from_db()
    assert dispute.upstream_reference == str(remote.pk)
    assert dispute.upstream_raised_at is not None
    with pytest.raises(DisputeStateError, match="already raised"):
        services.dispute_upstream_forward(dispute_id=dispute.pk, actor=chain["staff"])


def test_the_suppliers_refusal_is_shown_and_nothing_is_recorded(chain):
    # The reseller's own order is not delivered yet: its window (IS-9/DS-13) has not begun.
    order = deliver(chain["order"])
    dispute = open_dispute(order)
    with pytest.raises(UpstreamError, match="delivered"):
        services.dispute_upstream_forward(dispute_id=dispute.pk, actor=chain["staff"])
    dispute.refresh_from_db()
    assert dispute.upstream_raised_at is None
    assert not Dispute.objects.filter(order=chain["upstream_order"]).exists()
