from django.conf import settings


def storefront(request):
    """Branding and flags every page of a storefront needs."""
    return {
        "storefront": getattr(request, "storefront", None),
        "dev_tools_enabled": settings.DEV_TOOLS_ENABLED,
    }
