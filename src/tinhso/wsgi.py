import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
application = get_wsgi_application()
# Import every URLconf (and the views, APIs and selectors they pull in) while the worker
# boots, not on its first request: Django loads them lazily, which made the first
# request of each gunicorn worker take seconds of CPU (a package or a page that
# arrived just after a restart waited for it).
get_resolver().url_patterns  # noqa: B018 - evaluated for its import side effect

# Likewise what the hot paths import inside functions (pypdf, signxml...: a package
# arriving at a freshly started worker took a second of CPU more).
from tinhso.core.warmup import WEB, settle_heap, warm_up  # noqa: E402

warm_up(WEB)
settle_heap()  # last: what was loaded above is the long-lived heap
