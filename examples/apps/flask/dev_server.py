"""Runs the app on Werkzeug's development server, the one that warns it is not for production.

Usage: python3 dev_server.py [--host 127.0.0.1] [--port 5000]

It exists only so the benchmark can show what that server costs next to Gunicorn and
NGINX; never run it in a deployment.
"""

import argparse

from app import app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    # threaded=True is Flask's default; spelled out because it decides how the server queues requests.
    app.run(host=args.host, port=args.port, debug=False, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
