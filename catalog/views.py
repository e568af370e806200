"""The catalog: browse and search the storefront's services, and one service's page.

Anyone may browse; prices are this customer's (price group, DS-7's quote comes on the order form)
and also in the customer's display currency with the rate's date (DS-4, DS-6).
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext

from billing.forms import DisplayCurrencyForm
from billing.selectors import display_currencies, display_rate

from . import selectors
from .forms import CatalogFilterForm
from .models import DHRU_FIELDS, ServiceField, model_help

PAGE_SIZE = 25


def _currency_form(request):
    """The "show amounts also in" chooser, for signed-in customers."""
    user = request.user
    if not user.is_authenticated or user.storefront_id is None:
        return None
    storefront = request.storefront
    return DisplayCurrencyForm(
        initial={"display_currency": user.display_currency or storefront.balance_currency},
        currencies=display_currencies(storefront),
    )


def index(request):
    storefront = request.storefront
    chosen = {name: request.GET.get(name, "")[:80] for name in ("brand", "model", "network")}
    facets = selectors.catalog_facets(storefront=storefront, **chosen)
    form = CatalogFilterForm(request.GET or None, **facets)
    filters = form.filters()
    services = selectors.services_browse(storefront=storefront, **filters)
    page = Paginator(services, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    prices = selectors.service_prices_for(services=page.object_list, user=request.user)
    for service in page.object_list:
        service.customer_price = prices[service.pk]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "rate": display_rate(storefront=storefront, user=request.user),
        "currency_form": _currency_form(request),
        "bad_filters": form.is_bound and bool(form.errors),
        "title": _index_title(form, filters),
    }
    return render(request, "catalog/index.html", context)


def _index_title(form, filters: dict) -> str:
    """The page's title says what it lists: “iphone 13” in services, Services: Apple · iPhone 13."""
    if filters.get("q"):
        return gettext("“%(q)s” in services") % {"q": filters["q"]}
    chosen = [
        dict(form.fields[name].choices).get(filters[name], filters[name])
        for name in ("kind", "brand", "model", "network", "country")
        if filters.get(name)
    ]
    if chosen:
        return gettext("Services: %(chosen)s") % {"chosen": " · ".join(map(str, chosen))}
    return gettext("Services")


def service_detail(request, pk: int):
    storefront = request.storefront
    service = selectors.service_page_get(storefront=storefront, pk=pk)
    if service is None:  # another storefront's, inactive or unknown: the same 404
        raise Http404("No such service.")
    group = selectors.price_group_for(request.user)
    price = selectors.service_prices_for(services=[service], group=group)[service.pk]
    context = {
        "service": service,
        "price": price,
        "group": group if price != service.price else None,
        "order_fields": _order_fields(service),
        "rate": display_rate(storefront=storefront, user=request.user),
        "currency_form": _currency_form(request),
    }
    return render(request, "catalog/service.html", context)


def _order_fields(service) -> list[dict]:
    """What the order form will ask for: the DHRU fields, then the custom ones."""
    fields = [
        {
            "label": str(DHRU_FIELDS[name]["label"]),
            "help": model_help(service.brand)
            if name == "MODEL"
            else str(DHRU_FIELDS[name]["help"]),
            "required": True,
        }
        for name in service.required_fields
    ]
    for custom in service.custom_fields.all():
        help_text = custom.help_text
        if custom.type in ServiceField.CHOICE_TYPES and custom.options:
            help_text = gettext("one of: %(options)s") % {
                "options": ", ".join(map(str, custom.options))
            }
        fields.append({"label": custom.label, "help": help_text, "required": custom.required})
    return fields
