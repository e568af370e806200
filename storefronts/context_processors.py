from django.conf import settings
from django.utils.translation import get_language, get_language_info


def storefront(request):
    """Branding and flags every page of a storefront needs, and the languages it offers (the
    switcher shows when there is more than one), each named in its own language."""
    shop = getattr(request, "storefront", None)
    offered = shop.offered_languages if shop is not None else []
    return {
        "storefront": shop,
        "dev_tools_enabled": settings.DEV_TOOLS_ENABLED,
        "language_code": get_language() or settings.LANGUAGE_CODE,
        "language_choices": [(code, get_language_info(code)["name_local"]) for code in offered]
        if len(offered) > 1
        else [],
    }
