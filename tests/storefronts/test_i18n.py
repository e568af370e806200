"""Languages: the reseller demo speaks Spanish and English, the retail demo English; the
customer's choice is remembered on the account; e-mails, money and dates follow the language;
the terms come in the page's language; the committed catalogue matches its source."""

from __future__ import annotations

import datetime as dt
import gettext as gettext_module
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone, translation

from accounts.models import TermsAcceptance, User
from accounts.services import account_verification_require
from billing.display import format_balance_amount, format_plain_money
from storefronts.models import TermsVersion
from tests.conftest import RESELLER_HOST

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es-ES,es;q=0.9,en;q=0.5"}
PO_FILE = Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "django.po"


# --- which language a page speaks ------------------------------------------------------------


@pytest.mark.django_db
def test_reseller_demo_renders_in_spanish_for_a_spanish_browser(reseller, reseller_client):
    response = reseller_client.get("/", **SPANISH)
    page = response.text
    assert response.status_code == 200
    assert '<html lang="es">' in page
    assert "Cómo funciona" in page and "Crear una cuenta gratis" in page
    assert "How it works" not in page
    assert response["Content-Language"] == "es"
    # A cache must keep the Spanish and the English page apart.
    assert "Accept-Language" in response["Vary"] and "Cookie" in response["Vary"]


@pytest.mark.django_db
def test_without_accept_language_both_demos_speak_english(
    reseller, retail, reseller_client, retail_client
):
    for client in (reseller_client, retail_client):
        page = client.get("/").text
        assert '<html lang="en">' in page
        assert "How it works" in page


@pytest.mark.django_db
def test_retail_demo_stays_english_for_a_spanish_browser(retail, retail_client):
    response = retail_client.get("/", **SPANISH)
    assert '<html lang="en">' in response.text
    assert "How it works" in response.text and "Cómo funciona" not in response.text
    # One language only: no switcher, nothing to vary on.
    assert 'action="/language/"' not in response.text
    assert "Accept-Language" not in response.get("Vary", "")


@pytest.mark.django_db
def test_a_mexican_browser_gets_the_spanish_pages(reseller, reseller_client):
    page = reseller_client.get("/", HTTP_ACCEPT_LANGUAGE="es-MX").text
    assert '<html lang="es">' in page


@pytest.mark.django_db
def test_admin_stays_english_for_a_spanish_browser(reseller, reseller_client):
    page = reseller_client.get("/admin/login/", **SPANISH).text
    assert 'lang="es"' not in page


@pytest.mark.django_db
def test_error_pages_speak_the_language(reseller, reseller_client):
    response = reseller_client.get("/no-such-page/", **SPANISH)
    assert response.status_code == 404
    assert "Página no encontrada" in response.text


# --- the switcher ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_switcher_shows_where_the_storefront_offers_two_languages(reseller, reseller_client):
    page = reseller_client.get("/").text
    assert 'action="/language/"' in page
    assert 'value="es"' in page and "Español" in page


@pytest.mark.django_db
def test_switcher_keeps_an_anonymous_choice_in_a_cookie(reseller, reseller_client):
    response = reseller_client.post("/language/", {"language": "es", "next": "/terms/"})
    assert response.status_code == 302 and response.url == "/terms/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    # The cookie outranks the browser's own preference.
    page = reseller_client.get("/", HTTP_ACCEPT_LANGUAGE="en").text
    assert '<html lang="es">' in page


@pytest.mark.django_db
def test_switcher_saves_the_choice_on_the_account_for_later_sessions(
    reseller, reseller_client, reseller_customer
):
    reseller_client.force_login(reseller_customer)
    response = reseller_client.post("/language/", {"language": "es", "next": "/account/"})
    assert response.status_code == 302
    reseller_customer.refresh_from_db()
    assert reseller_customer.language == "es"
    # Another browser, no cookie, an English Accept-Language: the account's choice wins.
    other = Client(HTTP_HOST=RESELLER_HOST)
    other.force_login(reseller_customer)
    page = other.get("/account/", HTTP_ACCEPT_LANGUAGE="en").text
    assert '<html lang="es">' in page and "Mi cuenta" in page


@pytest.mark.django_db
@pytest.mark.parametrize("junk", ["xx", "", "es-ES", "english", "fr"])
def test_switcher_refuses_a_language_the_storefront_does_not_offer(reseller, reseller_client, junk):
    response = reseller_client.post("/language/", {"language": junk})
    assert response.status_code == 400
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


@pytest.mark.django_db
def test_switcher_refuses_spanish_on_the_english_only_retail_demo(retail, retail_client):
    assert retail_client.post("/language/", {"language": "es"}).status_code == 400


@pytest.mark.django_db
def test_switcher_only_takes_a_post(reseller, reseller_client):
    assert reseller_client.get("/language/?language=es").status_code == 405


@pytest.mark.django_db
def test_switcher_never_redirects_off_the_storefront(reseller, reseller_client):
    response = reseller_client.post(
        "/language/", {"language": "es", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == "/"


@pytest.mark.django_db
def test_switcher_needs_the_csrf_token(reseller):
    client = Client(HTTP_HOST=RESELLER_HOST, enforce_csrf_checks=True)
    assert client.post("/language/", {"language": "es"}).status_code == 403


@pytest.mark.django_db
def test_a_saved_language_the_storefront_stopped_offering_is_ignored(
    reseller, reseller_client, reseller_customer
):
    reseller_customer.language = "es"
    reseller_customer.save(update_fields=["language"])
    reseller.languages = "en"
    reseller.save(update_fields=["languages"])
    reseller_client.force_login(reseller_customer)
    assert '<html lang="en">' in reseller_client.get("/account/").text


# --- sign-up remembers the language; the terms accepted are the version ---------------------


@pytest.mark.django_db
def test_signup_in_spanish_remembers_the_language_and_records_the_version(reseller):  # IS-1
    client = Client(HTTP_HOST=RESELLER_HOST)
    response = client.post(
        "/accounts/signup/",
        {
            "email": "nuevo@example.com",
            "password1": "una-frase-larga-y-unica-42",
            "password2": "una-frase-larga-y-unica-42",
            "accept_terms": "on",
        },
        **SPANISH,
    )
    assert response.status_code == 302
    user = User.objects.get(email="nuevo@example.com")
    assert user.language == "es"
    # IS-13: whatever language the customer read them in, it is the version that is accepted.
    acceptance = TermsAcceptance.objects.get(user=user)
    assert acceptance.terms_version == reseller.current_terms()
    # The verification e-mail went out in Spanish.
    assert "Para confirmar esta dirección" in mail.outbox[-1].body


# --- e-mails in the recipient's language -----------------------------------------------------


@pytest.mark.django_db
def test_email_to_a_spanish_customer_is_in_spanish(
    reseller, reseller_customer, mailoutbox, django_capture_on_commit_callbacks
):
    reseller_customer.language = "es"
    reseller_customer.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        account_verification_require(user=reseller_customer, actor=None)
    (message,) = mailoutbox
    assert message.subject == "[DoctorSIM Pro] Necesitamos verificar su cuenta"
    assert "Para prevenir el fraude" in message.body


@pytest.mark.django_db
def test_email_to_an_english_customer_stays_english_inside_a_spanish_request(
    reseller, reseller_customer, mailoutbox, django_capture_on_commit_callbacks
):
    with translation.override("es"), django_capture_on_commit_callbacks(execute=True):
        account_verification_require(user=reseller_customer, actor=None)
    (message,) = mailoutbox
    assert message.subject == "[DoctorSIM Pro] We need to verify your account"


# --- money and dates in the locale -----------------------------------------------------------


def test_money_is_formatted_for_the_active_language():
    with translation.override("es"):
        assert format_plain_money(Decimal("1234.56"), "EUR") == "1.234,56\xa0€"
        assert format_plain_money(Decimal("12345.5"), "USD") == "12.345,50\xa0US$"
    with translation.override("en"):
        assert format_plain_money(Decimal("1234.56"), "EUR") == "€1,234.56"


@pytest.mark.django_db
def test_credits_are_named_and_formatted_in_spanish(reseller):
    with translation.override("es"):
        assert format_balance_amount(Decimal("12345.5"), reseller) == "12.345,50 créditos"
    with translation.override("en"):
        assert format_balance_amount(Decimal("12345.5"), reseller) == "12,345.50 credits"


@pytest.mark.django_db
def test_dates_use_the_languages_month_names(reseller, reseller_client):
    published = dt.datetime(2026, 3, 5, 12, 0, tzinfo=dt.UTC)
    TermsVersion.objects.filter(storefront=reseller).update(published_at=published)
    assert "5 marzo 2026" in reseller_client.get("/terms/", **SPANISH).text
    assert "5 March 2026" in reseller_client.get("/terms/").text


# --- policy texts from the storefront's terms in each language -------------------------------


@pytest.mark.django_db
def test_terms_page_shows_the_version_in_the_pages_language(reseller, reseller_client):
    spanish = reseller_client.get("/terms/", **SPANISH).text
    assert "Texto de los términos." in spanish and "Términos del servicio" in spanish
    english = reseller_client.get("/terms/").text
    assert "Terms text." in english and "Texto de los términos." not in english


@pytest.mark.django_db
def test_terms_fall_back_to_the_default_language_without_a_translation(reseller, reseller_client):
    TermsVersion.objects.create(
        storefront=reseller, label="2027-01", text="Only in English.", published_at=timezone.now()
    )
    page = reseller_client.get("/terms/", **SPANISH).text
    assert "Only in English." in page and 'lang="en"' in page
    assert "Versión 2027-01" in page  # the page around it is still Spanish


# --- the committed catalogue -----------------------------------------------------------------


def test_every_spanish_message_is_translated_and_compiled():
    """A string added to the .po but not translated, left fuzzy, or not compiled into the
    committed .mo fails here (README, "Languages": makemessages, translate, compilemessages)."""
    with PO_FILE.open("rb") as po_file:
        catalog = read_po(po_file)
    with PO_FILE.with_suffix(".mo").open("rb") as mo_file:
        compiled = gettext_module.GNUTranslations(mo_file)
    untranslated, fuzzy, stale = [], [], []
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            fuzzy.append(message.id)
        strings = message.string if isinstance(message.id, tuple) else (message.string,)
        if not all(strings):
            untranslated.append(message.id)
            continue
        if isinstance(message.id, tuple):
            singular, plural = message.id
            got = (
                compiled.npgettext(message.context, singular, plural, 1)
                if message.context
                else (compiled.ngettext(singular, plural, 1))
            )
            expected = strings[0]
        else:
            got = (
                compiled.pgettext(message.context, message.id)
                if message.context
                else compiled.gettext(message.id)
            )
            expected = strings[0]
        if got != expected:
            stale.append(message.id)
    assert not untranslated, f"untranslated: {untranslated}"
    assert not fuzzy, f"fuzzy: {fuzzy}"
    assert not stale, f"django.mo is older than django.po for: {stale}"


def test_the_mo_file_is_not_ignored_by_git():
    gitignore = (Path(settings.BASE_DIR) / ".gitignore").read_text()
    assert "*.mo" not in gitignore


# --- settings staff can get wrong -------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("default_language", "languages", "field"),
    [
        ("es", "en", "languages"),  # the default must be offered
        ("en", "en,fr", "languages"),  # only languages the site speaks
        ("de", "en,de", "default_language"),
        ("en", " , ", "languages"),
    ],
)
def test_storefront_languages_are_validated(reseller, default_language, languages, field):
    reseller.default_language, reseller.languages = default_language, languages
    with pytest.raises(ValidationError) as caught:
        reseller.full_clean()
    assert field in caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("translations", [{"fr": "Conditions"}, {"es": ""}, ["es"], {"es": 3}])
def test_terms_translations_are_validated(reseller, translations):
    version = reseller.current_terms()
    version.translations = translations
    with pytest.raises(ValidationError):
        version.full_clean()


@pytest.mark.django_db
def test_offered_languages_put_the_default_first(reseller):
    reseller.default_language, reseller.languages = "es", "en,es"
    assert reseller.offered_languages == ["es", "en"]
