from .selectors import wallet_of


def balance(request):
    """The signed-in customer's balance for the header (one query)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.storefront_id is None:
        return {}
    wallet = wallet_of(user)
    return {"nav_balance": wallet.balance if wallet else 0}
