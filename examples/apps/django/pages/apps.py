from django.apps import AppConfig
from django.db.backends.signals import connection_created


def use_write_ahead_log(sender, connection, **kwargs):
    """SQLite in WAL mode: readers (the app under load) never wait for a writer (the worker, a
    migration), and a writer waits for another instead of failing (the timeout in settings)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")


class PagesConfig(AppConfig):
    name = "pages"
    default_auto_field = "django.db.models.AutoField"

    def ready(self):
        connection_created.connect(use_write_ahead_log)
