"""Exchange rates for showing amounts in a customer's currency (DS-4, DS-6).

``DemoRatesBackend`` needs no network: it loads a dated table of reference rates (USD base),
so the demo and tests are repeatable. In production point ``EXCHANGE_BACKEND`` at one of
django-money's network backends (Open Exchange Rates, Fixer) and run ``update_rates`` daily.
"""

from decimal import Decimal

from djmoney.contrib.exchange.backends.base import BaseExchangeBackend

# Reference rates per 1 USD (ECB-style, rounded), for the demo.
DEMO_RATES = {
    "USD": "1",
    "EUR": "0.92",
    "GBP": "0.79",
    "MXN": "17.10",
    "CAD": "1.37",
    "AUD": "1.52",
    "CHF": "0.88",
    "PLN": "3.98",
    "BRL": "5.05",
    "JPY": "151.20",
}


class DemoRatesBackend(BaseExchangeBackend):
    name = "demo"

    def get_rates(self, **params):
        return {code: Decimal(value) for code, value in DEMO_RATES.items()}
