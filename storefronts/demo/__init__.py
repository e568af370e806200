"""The two demo storefronts of POLICY.md: their settings and their terms."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.utils.translation import gettext_noop

HERE = Path(__file__).resolve().parent

DEMO_PASSWORD = "unlock-demo-2026"

# The demo storefronts' evidence requirements (and the default list, storefronts/models.py) are
# in the Spanish catalogue, so the dispute form names them in the page's language.
EVIDENCE_REQUIREMENT_LINES = [
    gettext_noop("One continuous video, at least 720p"),
    gettext_noop("The whole device in view and in focus"),
    gettext_noop("Good light"),
    gettext_noop("The IMEI or serial number shown by dialling *#06#"),
    gettext_noop("Every step done as instructed, on camera"),
    gettext_noop("The code typed on camera"),
    gettext_noop("One unedited video"),
    gettext_noop("The IMEI shown on screen by dialling *#06#"),
    gettext_noop("The code typed on camera, following the instructions"),
    gettext_noop("The whole device in view, in focus and in good light"),
    gettext_noop("One continuous, unedited video"),
    gettext_noop("Every step of the instructions shown"),
]

DEMO_STOREFRONTS = [
    {
        "slug": "imeiserver",
        "host": "imeiserver.localhost",
        "terms_file": HERE / "retail_terms.txt",
        "terms_label": "2026-11",
        "fields": {
            "name": "IMEI Server demo",
            "display_name": "IMEI Server",
            "tagline": "Factory unlock codes and phone checks, paid from your balance.",
            "accent_colour": "#0b63ce",
            "support_email": "support@imeiserver.localhost",
            "default_language": "en",
            "languages": "en",
            "balance_currency": "USD",
            "balance_unit_label": "",
            "topup_mode": "free_amount",
            "topup_min_amount": Decimal("5.00"),
            "topup_max_amount": Decimal("1000.00"),
            "cancellation_window_minutes": 0,
            "refund_request_window_days": 180,
            "refund_due_days": 7,
            "refund_due_in_business_days": False,
            "refund_to_original_payment": True,
            "refund_to_credits": False,
            "refund_to_bank_transfer": False,
            "bank_transfer_countries": "",
            "dispute_window_days": 3,
            "evidence_min_video_height": 720,
            "evidence_min_duration_seconds": 2,
            "evidence_max_upload_mb": 200,
            "dispute_transit_days": 5,
            # IS-9, in the order the retail terms list them.
            "dispute_evidence_requirements": "\n".join(
                [
                    "One continuous video, at least 720p",
                    "The whole device in view and in focus",
                    "Good light",
                    "The IMEI or serial number shown by dialling *#06#",
                    "Every step done as instructed, on camera",
                    "The code typed on camera",
                ]
            ),
            "dispute_first_response_hours": 24,
            "dispute_resolution_business_days": 30,
            "completion_overrun_business_days": 10,
            "timezone": "UTC",
            "working_days": "12345",
            "opens_at": dt.time(0, 0),
            "closes_at": dt.time(0, 0),
            "holiday_country": "",
            "holiday_subdivision": "",
        },
    },
    {
        "slug": "doctorsim",
        "host": "doctorsim.localhost",
        "terms_file": HERE / "reseller_terms.txt",
        "terms_translation_files": {"es": HERE / "reseller_terms.es.txt"},
        "terms_label": "2026-11",
        "fields": {
            "name": "DoctorSIM Pro demo",
            "display_name": "DoctorSIM Pro",
            "tagline": "The reseller portal for unlocks, cable unlocks and blacklist checks.",
            "accent_colour": "#0f8a5f",
            "support_email": "support@doctorsim.localhost",
            # English by default (a browser asking for Spanish gets Spanish), Spanish offered.
            "default_language": "en",
            "languages": "en,es",
            "balance_currency": "EUR",
            "balance_unit_label": "credits",
            "topup_mode": "packages",
            "topup_min_amount": Decimal("5.00"),
            "topup_max_amount": Decimal("1000.00"),
            "cancellation_window_minutes": 10,
            "refund_request_window_days": 180,
            "refund_due_days": 3,
            "refund_due_in_business_days": True,
            "refund_to_original_payment": True,
            "refund_to_credits": True,
            "refund_to_bank_transfer": True,
            "bank_transfer_countries": "ES,MX",
            # DS-12 "as long as it is not one of the cases" of DS-14: these wait for staff.
            "rejection_review_phrases": "\n".join(
                [
                    "blacklisted",
                    "lost or stolen",
                    "stolen",
                    "unpaid bill",
                    "wrong network",
                    "wrong model",
                    "wrong imei",
                    "already unlocked",
                    "no attempts left",
                ]
            ),
            "dispute_window_days": 3,
            "evidence_min_video_height": 720,
            "evidence_min_duration_seconds": 2,
            "evidence_max_upload_mb": 200,
            "dispute_transit_days": 5,
            # DS-13: an unedited video showing the IMEI (*#06#) and the code being typed.
            "dispute_evidence_requirements": "\n".join(
                [
                    "One unedited video",
                    "The IMEI shown on screen by dialling *#06#",
                    "The code typed on camera, following the instructions",
                    "The whole device in view, in focus and in good light",
                ]
            ),
            "dispute_first_response_hours": 24,
            "dispute_resolution_business_days": 30,
            "completion_overrun_business_days": None,
            "timezone": "+02:00",
            "working_days": "12345",
            "opens_at": dt.time(10, 0),
            "closes_at": dt.time(16, 0),
            "holiday_country": "ES",
            "holiday_subdivision": "",
        },
    },
]

DEMO_STAFF = [
    ("customer@example.com", None),
    ("support@example.com", "Support"),
    ("disputes@example.com", "Dispute admin"),
    ("catalog@example.com", "Catalog manager"),
]
DEMO_SUPERUSER = "admin@example.com"
