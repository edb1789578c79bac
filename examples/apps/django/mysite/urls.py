from django.urls import path

from pages import views

urlpatterns = [
    path("", views.index, name="index"),
    path("api/info", views.info, name="info"),
    path("api/headers", views.headers, name="headers"),
    path("slow", views.slow, name="slow"),
    path("upload", views.upload, name="upload"),
    path("media-uploads/<str:name>", views.media_upload, name="media-upload"),
    path("api/heartbeats", views.heartbeats, name="heartbeats"),
    # /healthz is answered by pages.health.HealthCheckMiddleware before any Host check.
]
