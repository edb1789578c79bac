"""A tiny plain-WSGI API (no framework), the app of examples/app-only.yaml (module api.wsgi:application).

GET /healthz answers "ok"; GET / and /api/info answer JSON naming the instance ($HOSTNAME) and the
server; anything else is a JSON 404.
"""

import json
import os
import socket

INSTANCE = os.environ.get("HOSTNAME") or socket.gethostname()


def _json(start_response, status, body, extra_headers=()):
    data = json.dumps(body).encode()
    start_response(
        status,
        [("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("X-Served-By", INSTANCE), *extra_headers],
    )
    return [data]


def application(environ, start_response):
    path = environ.get("PATH_INFO", "/")
    if path == "/healthz":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    if path in ("/", "/api/info"):
        return _json(
            start_response,
            "200 OK",
            {
                "framework": "wsgi",
                "instance": INSTANCE,
                "server": environ.get("SERVER_SOFTWARE", "unknown"),
                "path": path,
            },
        )
    return _json(start_response, "404 Not Found", {"error": "not found", "path": path})
