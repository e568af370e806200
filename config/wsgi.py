"""WSGI entry point for gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# What the app loaded at start (modules, URL patterns, templates, settings) lives as long as the
# process: moved out of the collector's reach, the periodic full collections walk only what
# requests leave behind, instead of pausing a request now and then for the whole heap (the p99
# of order placement, issue 13). Instagram's gc.freeze(); nothing is leaked, only not re-scanned.
gc.collect()
gc.freeze()
# And young objects are collected after 20,000 new ones instead of 700: a request makes tens of
# thousands, nearly all freed as soon as it is done with them, so most of those collections found
# nothing to free.
gc.set_threshold(20_000, 20, 20)
