"""Sample Flask app for webapp-operator's data-plane tests and benchmarks.

WSGI callable: ``app:app`` (run from this folder, or with it on PYTHONPATH).

Environment:
  STATIC_ROOT  folder served by /static-file/<name>; default ./staticfiles next to this file.
               Fill it with ``python3 make_static_files.py "$STATIC_ROOT"``.
  HOSTNAME     reported as "instance" and in the X-Served-By header, so a client behind a
               load balancer can tell replicas apart (Kubernetes sets it to the pod name).
"""

import os
import socket
import time

from flask import Flask, Response, jsonify, request, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix

import websocket_echo

HERE = os.path.dirname(os.path.abspath(__file__))
STATIC_ROOT = os.environ.get("STATIC_ROOT") or os.path.join(HERE, "staticfiles")
INSTANCE = os.environ.get("HOSTNAME") or socket.gethostname()
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

# static_folder=None: static files are NGINX's job in this layout. The only way the app
# serves a file is the explicit /static-file/ route below, kept for the benchmark that
# compares NGINX with an app server doing the same work.
app = Flask(__name__, static_folder=None)

# NGINX sets X-Forwarded-For/-Proto/-Host; ProxyFix makes request.remote_addr, .scheme and
# .host reflect them, trusting exactly one proxy hop (the web tier). Gunicorn's
# --forwarded-allow-ips only decides whether Gunicorn itself sets wsgi.url_scheme from
# X-Forwarded-Proto (uWSGI's http-socket does that for any client); neither server ever
# rewrites REMOTE_ADDR or Host, so the app does it here and behaves the same under both.
app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1)


def server_software() -> str:
    """Which WSGI server runs this worker; tests use it to prove what they started."""
    environ = request.environ
    if "uwsgi.version" in environ:
        version = environ["uwsgi.version"]
        return "uWSGI/" + (version.decode() if isinstance(version, bytes) else str(version))
    return environ.get("SERVER_SOFTWARE", "unknown")


def direct_view() -> dict:
    """What the server saw on the socket, before ProxyFix applied the forwarded headers."""
    environ = request.environ
    orig = environ.get("werkzeug.proxy_fix.orig", {})
    return {
        "remote_addr": orig.get("REMOTE_ADDR", environ.get("REMOTE_ADDR")),
        "scheme": orig.get("wsgi.url_scheme", environ.get("wsgi.url_scheme")),
        "host": orig.get("HTTP_HOST", environ.get("HTTP_HOST")),
    }


@app.after_request
def add_served_by(response: Response) -> Response:
    response.headers["X-Served-By"] = INSTANCE
    return response


@app.get("/")
@app.get("/api/info")
def info():
    return jsonify(
        framework="flask",
        pid=os.getpid(),
        instance=INSTANCE,
        server=server_software(),
        remote_addr=request.remote_addr,
        scheme=request.scheme,
        host=request.host,
        is_secure=request.is_secure,
        path=request.path,
        forwarded={name: request.headers.get(name) for name in FORWARDED_HEADERS},
        direct=direct_view(),
    )


@app.get("/api/headers")
def headers():
    return jsonify(headers={name.lower(): value for name, value in request.headers.items()})


@app.get("/slow")
def slow():
    raw = request.args.get("ms", "20")
    try:
        ms = int(raw)
    except ValueError:
        ms = -1
    if not 0 <= ms <= SLOW_MAX_MS:
        return jsonify(error=f"query parameter ms must be an integer from 0 to {SLOW_MAX_MS}, got {raw!r}"), 400
    time.sleep(ms / 1000)
    return jsonify(pid=os.getpid(), instance=INSTANCE, slept_ms=ms)


@app.post("/upload")
def upload():
    # Streamed in chunks so a large body never sits in memory at once.
    total = 0
    while chunk := request.stream.read(UPLOAD_CHUNK):
        total += len(chunk)
    return jsonify(pid=os.getpid(), bytes=total)


@app.get("/healthz")
def healthz():
    return Response("ok", mimetype="text/plain")


@app.get("/static-file/<path:name>")
def static_file(name: str):
    # send_from_directory refuses paths that leave STATIC_ROOT (404), and hands the open
    # file to the server's wsgi.file_wrapper, so Gunicorn uses sendfile().
    return send_from_directory(STATIC_ROOT, name)


# websocket=True: Werkzeug routes Upgrade: websocket requests only to rules marked so.
@app.route("/ws/echo", websocket=True)
def ws_echo():
    return websocket_echo.handle(request.environ)
