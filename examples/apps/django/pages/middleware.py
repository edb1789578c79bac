import os
import socket

from django.http import HttpResponse

INSTANCE = os.environ.get("HOSTNAME") or socket.gethostname()


class HealthCheckMiddleware:
    """Answers /healthz before anything reads the Host header.

    Kubelet probes send Host: <pod IP>:<port>, which is not in ALLOWED_HOSTS; as a view,
    /healthz would get 400 from CommonMiddleware and the pod would never become ready.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            return HttpResponse("ok", content_type="text/plain")
        return self.get_response(request)


class ServedByMiddleware:
    """Names the replica in X-Served-By (the pod name in a cluster), so a client behind a
    load balancer can count how requests spread."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response["X-Served-By"] = INSTANCE
        return response
