"""Catalog part of the demo: a believable catalog for each demo storefront. Safe to run again
(every row is upserted by its slug or name)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction

from .models import Service
from .services import (
    customer_group_upsert,
    price_tier_set,
    service_field_upsert,
    service_upsert,
)

IMEI, CABLE, CHECK = Service.Kind.IMEI_UNLOCK, Service.Kind.CABLE_UNLOCK, Service.Kind.PHONE_CHECK

DESCRIPTIONS = {
    IMEI: (
        "A factory unlock code for the network the phone is locked to. Enter it when the phone "
        "asks for a network unlock code with a SIM card of another network; no cable, no "
        "software, and the phone's warranty is not affected."
    ),
    CABLE: (
        "For phones that cannot be unlocked by code. After the cancellation window you get our "
        "workshop address on the order page: ship the phone (without SIM or memory card), we "
        "unlock it and send it back with a tracking number."
    ),
    CHECK: (
        "An automatic check by IMEI. If no result is available, the price is refunded in full."
    ),
}

# (slug, kind, name, brand, network, country, required fields, retail price in USD,
#  indicated business days (min, max), position (lower comes first; the first six are "popular"),
#  extra description)
# fmt: off
CATALOG: list[tuple] = [
    # --- IMEI unlock codes ---
    ("iphone-att-usa-clean", IMEI, "iPhone 12–15 AT&T USA clean IMEI",
     "Apple", "AT&T", "USA", ["IMEI"], "34.99", (1, 3), 1,
     "For iPhones with a clean IMEI (not reported lost or stolen, no unpaid bill). The unlock is "
     "done in Apple's activation database: insert a foreign SIM card once it is complete."),
    ("iphone-att-usa-premium", IMEI, "iPhone 11–15 AT&T USA premium (active line / unpaid bill)",
     "Apple", "AT&T", "USA", ["IMEI"], "119.00", (5, 15), 110,
     "For iPhones still on an active contract or with an unpaid balance. Not for phones reported "
     "lost or stolen."),
    ("iphone-tmobile-usa", IMEI, "iPhone 7–15 T-Mobile / Metro USA clean",
     "Apple", "T-Mobile", "USA", ["IMEI"], "89.00", (3, 7), 111, ""),
    ("iphone-verizon-usa", IMEI, "iPhone Verizon USA (60-day policy unlock)",
     "Apple", "Verizon", "USA", ["IMEI"], "24.00", (1, 2), 112, ""),
    ("iphone-ee-uk", IMEI, "iPhone EE UK all models clean",
     "Apple", "EE", "UK", ["IMEI"], "39.00", (2, 5), 113, ""),
    ("iphone-vodafone-uk", IMEI, "iPhone Vodafone UK all models",
     "Apple", "Vodafone", "UK", ["IMEI"], "29.00", (1, 3), 114, ""),
    ("iphone-o2-uk", IMEI, "iPhone O2 UK all models",
     "Apple", "O2", "UK", ["IMEI"], "32.00", (2, 4), 115, ""),
    ("iphone-orange-france", IMEI, "iPhone Orange France all models",
     "Apple", "Orange", "France", ["IMEI"], "45.00", (3, 5), 116, ""),
    ("iphone-movistar-spain", IMEI, "iPhone Movistar Spain all models",
     "Apple", "Movistar", "Spain", ["IMEI"], "49.00", (3, 7), 117, ""),
    ("iphone-telcel-mexico", IMEI, "iPhone Telcel Mexico all models",
     "Apple", "Telcel", "Mexico", ["IMEI"], "39.00", (2, 6), 118, ""),
    ("samsung-tmobile-usa", IMEI, "Samsung Galaxy T-Mobile USA",
     "Samsung", "T-Mobile", "USA", ["IMEI", "MODEL"], "19.99", (1, 2), 2,
     "Galaxy S, Note, A and Z series locked to T-Mobile or Metro by T-Mobile."),
    ("samsung-att-usa", IMEI, "Samsung Galaxy AT&T / Cricket USA",
     "Samsung", "AT&T", "USA", ["IMEI"], "14.99", (1, 3), 120, ""),
    ("samsung-verizon-usa", IMEI, "Samsung Galaxy Verizon USA (policy unlock)",
     "Samsung", "Verizon", "USA", ["IMEI", "MODEL"], "12.00", (1, 2), 121, ""),
    ("vodafone-uk-all-models", IMEI, "Vodafone UK all models",
     "Multi-brand", "Vodafone", "UK", ["IMEI", "MODEL"], "9.99", (0, 1), 3,
     "Samsung, Sony, Nokia, Motorola, Huawei and most other brands (not iPhone)."),
    ("ee-uk-all-models", IMEI, "EE / T-Mobile UK / Orange UK all models",
     "Multi-brand", "EE", "UK", ["IMEI", "MODEL"], "11.50", (1, 2), 130, ""),
    ("orange-france", IMEI, "Orange France all models (except iPhone)",
     "Multi-brand", "Orange", "France", ["IMEI", "MODEL"], "12.00", (1, 3), 131, ""),
    ("sfr-france", IMEI, "SFR France Samsung / Huawei / Sony",
     "Multi-brand", "SFR", "France", ["IMEI", "MODEL"], "14.00", (1, 3), 132, ""),
    ("movistar-spain", IMEI, "Movistar Spain all models",
     "Multi-brand", "Movistar", "Spain", ["IMEI", "MODEL"], "15.00", (1, 4), 133, ""),
    ("vodafone-spain", IMEI, "Vodafone Spain all models",
     "Multi-brand", "Vodafone", "Spain", ["IMEI", "MODEL"], "13.50", (1, 4), 134, ""),
    ("telcel-mexico", IMEI, "Telcel Mexico all models",
     "Multi-brand", "Telcel", "Mexico", ["IMEI", "MODEL"], "18.00", (2, 5), 135, ""),
    ("rogers-canada", IMEI, "Rogers / Fido Canada all models",
     "Multi-brand", "Rogers", "Canada", ["IMEI", "MODEL"], "16.00", (1, 3), 136, ""),
    ("huawei-code", IMEI, "Huawei factory unlock code (any network)",
     "Huawei", "", "Worldwide", ["IMEI", "MODEL", "NETWORK"], "9.50", (0, 1), 140,
     "Phones and tablets up to the P40 and Mate 30 series; not for modems or routers."),
    ("huawei-modem", IMEI, "Huawei modem / router code (V2, V3, V201)",
     "Huawei", "", "Worldwide", ["IMEI", "MODEL"], "5.00", (0, 0), 141, ""),
    ("motorola-code", IMEI, "Motorola unlock code (any network)",
     "Motorola", "", "Worldwide", ["IMEI", "MODEL", "NETWORK"], "7.50", (1, 2), 142, ""),
    ("lg-code", IMEI, "LG unlock code (most models, any network)",
     "LG", "", "Worldwide", ["IMEI", "MODEL", "NETWORK"], "8.00", (1, 3), 143, ""),
    ("sony-xperia-code", IMEI, "Sony Xperia unlock code (any network)",
     "Sony", "", "Worldwide", ["IMEI", "MODEL", "NETWORK"], "11.00", (1, 3), 144, ""),
    ("zte-code", IMEI, "ZTE unlock code (phones and hotspots)",
     "ZTE", "", "Worldwide", ["IMEI", "MODEL", "PROVIDER"], "5.00", (0, 1), 145, ""),
    ("alcatel-tcl-nck", IMEI, "Alcatel / TCL NCK code",
     "Alcatel", "", "Worldwide", ["IMEI", "MODEL", "PROVIDER"], "6.50", (1, 2), 146, ""),
    ("blackberry-mep", IMEI, "BlackBerry MEP code (by PRD)",
     "BlackBerry", "", "Worldwide", ["IMEI", "PRD"], "9.00", (1, 2), 147,
     "Send the PRD number from the label under the battery (e.g. PRD-12345-001)."),
    # --- cable unlocks (ship the phone) ---
    ("samsung-frp-network-cable", CABLE, "Samsung Galaxy FRP + network cable unlock (ship your phone)",
     "Samsung", "", "Worldwide", ["IMEI", "MODEL"], "49.00", (5, 10), 6,
     "Removes the Google account lock (proof of purchase needed) and the network lock."),
    ("huawei-cable", CABLE, "Huawei network cable unlock (ship your phone)",
     "Huawei", "", "Worldwide", ["IMEI", "MODEL"], "39.00", (5, 10), 150, ""),
    ("motorola-cable", CABLE, "Motorola network cable unlock (ship your phone)",
     "Motorola", "", "Worldwide", ["IMEI", "MODEL"], "35.00", (5, 10), 151, ""),
    ("lg-cable", CABLE, "LG network cable unlock (ship your phone)",
     "LG", "", "Worldwide", ["IMEI", "MODEL"], "39.00", (5, 12), 152, ""),
    ("zte-alcatel-cable", CABLE, "ZTE / Alcatel cable unlock (ship your phone)",
     "ZTE", "", "Worldwide", ["IMEI", "MODEL"], "29.00", (4, 8), 153, ""),
    # --- phone checks ---
    ("gsma-blacklist-check", CHECK, "GSMA blacklist check",
     "", "", "Worldwide", ["IMEI"], "0.50", (0, 0), 4,
     "Lost, stolen or unpaid-bill status from the GSMA device registry, updated daily. "
     "Registries can disagree for a short time after a report or a removal."),
    ("carrier-simlock-check", CHECK, "Carrier & SIM-lock check",
     "", "", "Worldwide", ["IMEI"], "1.50", (0, 0), 160,
     "The network the phone is locked to and whether it is locked: choose the right unlock."),
    ("icloud-status-check", CHECK, "iCloud status check (Find My on/off)",
     "Apple", "", "Worldwide", ["IMEI"], "0.75", (0, 0), 5, ""),
    ("apple-full-check", CHECK, "Apple full check (model, carrier, SIM-lock, warranty)",
     "Apple", "", "Worldwide", ["IMEI"], "1.99", (0, 0), 161, ""),
    ("samsung-info-check", CHECK, "Samsung info & warranty check",
     "Samsung", "", "Worldwide", ["IMEI"], "0.80", (0, 0), 162, ""),
    ("tmobile-usa-status-check", CHECK, "T-Mobile USA unlock eligibility check",
     "", "T-Mobile", "USA", ["IMEI"], "0.60", (0, 0), 163, ""),
]

# Kept inactive: a retired service shows in the admin but no longer in the catalog.
RETIRED = ("iphone-sprint-usa", IMEI, "iPhone Sprint USA (retired network)",
           "Apple", "Sprint", "USA", ["IMEI"], "59.00", (3, 10), 900, "")
# fmt: on

CUSTOM_FIELDS = {
    "samsung-att-usa": [
        {
            "name": "model",
            "label": "Model",
            "type": "select",
            "options": [
                "Galaxy S21",
                "Galaxy S22",
                "Galaxy S23",
                "Galaxy S24",
                "Galaxy A14",
                "Galaxy A54",
                "Galaxy Z Flip5",
                "Galaxy Z Fold5",
            ],
            "help_text": "Settings → About phone → Model name",
        }
    ],
    "iphone-att-usa-premium": [
        {
            "name": "lock_reason",
            "label": "Why it is locked",
            "type": "select",
            "options": ["Active line", "Unpaid bill", "Contract not finished", "Not sure"],
        },
        {
            "name": "account_email",
            "label": "Account holder's email (if known)",
            "type": "text",
            "required": False,
            "pattern": r"[^@\s]+@[^@\s]+\.[^@\s]+",
        },
    ],
    "samsung-frp-network-cable": [
        {
            "name": "android_version",
            "label": "Android version",
            "type": "select",
            "options": ["11", "12", "13", "14", "Not sure"],
        }
    ],
}

# Where each demo's cable unlocks are sent (fictional addresses).
WORKSHOPS = {
    False: "IMEI Server workshop\n1200 Harbor Street, Unit 4\nOakland, CA 94607\nUSA",
    True: "DoctorSIM Pro · taller\nCalle de la Industria 27, nave 3\n28923 Alcorcón (Madrid)\nSpain",
}

RESELLER_RATE = Decimal("0.78")  # wholesale EUR credits per retail USD
RESELLER_GROUP = ("Resellers", Decimal("10"))
RESELLER_TIER = ("iphone-att-usa-clean", Decimal("23.00"))


def _reseller_price(usd: Decimal) -> Decimal:
    return max((usd * RESELLER_RATE).quantize(Decimal("0.1"), ROUND_HALF_UP), Decimal("0.30"))


def _guarantee_hours(kind: str, days_max: int) -> int:
    """A guaranteed delivery time (DS-9): the indicated time plus two days' margin."""
    if kind == CHECK:
        return 24
    return (days_max + 2) * 24


@transaction.atomic
def demo_catalog_seed(storefront) -> list[Service]:
    """Fill a demo storefront's catalog; the reseller one (packages of credits) gets wholesale
    prices in credits, guaranteed delivery times and a "Resellers" price group."""
    reseller = storefront.topup_mode == storefront.TopUpMode.PACKAGES
    services = []
    for row in [*CATALOG, RETIRED]:
        slug, kind, name, brand, network, country, fields, usd, days, position, extra = row
        price = _reseller_price(Decimal(usd)) if reseller else Decimal(usd)
        description = f"{extra}\n\n{DESCRIPTIONS[kind]}" if extra else DESCRIPTIONS[kind]
        service = service_upsert(
            storefront=storefront,
            slug=slug,
            kind=kind,
            name=name,
            brand=brand,
            network=network,
            country=country,
            required_fields=list(fields),
            price=price,
            indicated_days_min=days[0],
            indicated_days_max=days[1],
            guaranteed_hours=_guarantee_hours(kind, days[1]) if reseller else None,
            description=description,
            instructions=_instructions(kind),
            workshop_address=WORKSHOPS[reseller] if kind == CABLE else "",
            position=position,
            is_active=row is not RETIRED,
        )
        for index, spec in enumerate(CUSTOM_FIELDS.get(slug, [])):
            service_field_upsert(service=service, position=index, **spec)
        services.append(service)
    if reseller:
        group = customer_group_upsert(
            storefront=storefront, name=RESELLER_GROUP[0], discount_percent=RESELLER_GROUP[1]
        )
        tier_slug, tier_price = RESELLER_TIER
        price_tier_set(
            service=next(s for s in services if s.slug == tier_slug), group=group, price=tier_price
        )
    return services


def _instructions(kind: str) -> str:
    if kind == IMEI:
        return (
            "Switch the phone off, insert a SIM card of another network and switch it on. When "
            "it asks for a network unlock code (or 'SIM network PIN'), type the code exactly as "
            "given. iPhones need no code: connect to Wi-Fi after the unlock is confirmed."
        )
    if kind == CABLE:
        return "Your phone is on its way back: the tracking number is on the order page."
    return "The result shows its source and the time it was checked."
