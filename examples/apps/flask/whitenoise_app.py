"""The Flask app with its static files served by WhiteNoise, the way many Django teams serve
them instead of NGINX (WhiteNoise's middleware does the same inside Django).

WSGI callable: ``whitenoise_app:application``; files from ``$STATIC_ROOT`` under ``/static/``.

It exists only so the benchmark can compare the rendered NGINX with that choice on the same
files; the operator's layout serves static files from NGINX.
"""

from whitenoise import WhiteNoise

from app import STATIC_ROOT, app

# max_age as the rendered NGINX sends it by default (a week); files are indexed once at start.
application = WhiteNoise(app, root=STATIC_ROOT, prefix="static/", max_age=604800)
