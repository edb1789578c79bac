import os
import time

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from .middleware import INSTANCE
from .models import Heartbeat

SLOW_MAX_MS = 60_000
UPLOAD_CHUNK = 64 * 1024
FORWARDED_HEADERS = (
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "X-Forwarded-Host",
    "X-Forwarded-Port",
    "X-Forwarded-Prefix",
    "X-Real-IP",
)


def server_software(request) -> str:
    """Which WSGI server runs this worker; tests use it to prove what they started."""
    if "uwsgi.version" in request.META:
        version = request.META["uwsgi.version"]
        return "uWSGI/" + (version.decode() if isinstance(version, bytes) else str(version))
    return request.META.get("SERVER_SOFTWARE", "unknown")


@require_GET
def index(request):
    return render(request, "pages/index.html", {"pid": os.getpid(), "instance": INSTANCE})


@require_GET
def info(request):
    return JsonResponse(
        {
            "framework": "django",
            "pid": os.getpid(),
            "instance": INSTANCE,
            "server": server_software(request),
            # Django does not read X-Forwarded-For: this is the proxy's address behind NGINX.
            # The client's address is in forwarded["X-Real-IP"] / ["X-Forwarded-For"].
            "remote_addr": request.META.get("REMOTE_ADDR"),
            "scheme": request.scheme,
            "host": request.get_host(),
            "is_secure": request.is_secure(),
            "path": request.path,
            "forwarded": {name: request.headers.get(name) for name in FORWARDED_HEADERS},
        }
    )


@require_GET
def headers(request):
    return JsonResponse({"headers": {name.lower(): value for name, value in request.headers.items()}})


@require_GET
def slow(request):
    raw = request.GET.get("ms", "20")
    try:
        ms = int(raw)
    except ValueError:
        ms = -1
    if not 0 <= ms <= SLOW_MAX_MS:
        return JsonResponse(
            {"error": f"query parameter ms must be an integer from 0 to {SLOW_MAX_MS}, got {raw!r}"}, status=400
        )
    time.sleep(ms / 1000)
    return JsonResponse({"pid": os.getpid(), "instance": INSTANCE, "slept_ms": ms})


@csrf_exempt  # a test endpoint for body sizes, called by scripts that hold no CSRF token
@require_POST
def upload(request):
    # Streamed in chunks so a large body never sits in memory at once.
    total = 0
    while chunk := request.read(UPLOAD_CHUNK):
        total += len(chunk)
    return JsonResponse({"pid": os.getpid(), "bytes": total})


@csrf_exempt  # called by scripts and tests that hold no CSRF token, like /upload
@require_POST
def media_upload(request, name):
    # Saved under MEDIA_ROOT, the uploads volume in a cluster; NGINX serves it at MEDIA_URL.
    # The storage cleans the name and picks a new one rather than overwrite an existing file.
    saved = default_storage.save(f"uploads/{name}", ContentFile(request.body))
    return JsonResponse({"name": saved, "url": default_storage.url(saved), "bytes": default_storage.size(saved)})


@require_GET
def heartbeats(request):
    """What the workers wrote (`manage.py worker`), every column of the table as this version knows it."""
    if not settings.DATABASE_PATH:
        return JsonResponse({"error": "no database: set DATABASE_PATH"}, status=503)
    rows = list(Heartbeat.objects.order_by("worker").values())
    return JsonResponse({"instance": INSTANCE, "heartbeats": rows})
