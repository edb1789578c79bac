"""A tiny background worker for the sample: records a heartbeat every few seconds until SIGTERM.

It stands for a Celery or RQ worker (spec.workers in a WebApp): same image, same settings and
database as the app, another command. GET /api/heartbeats shows what it wrote.
"""

import signal
import threading

from django.core.management.base import BaseCommand
from django.utils import timezone

from pages.middleware import INSTANCE
from pages.models import Heartbeat


class Command(BaseCommand):
    help = "Record a heartbeat in the database every few seconds, until stopped (SIGTERM or SIGINT)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=2.0, help="seconds between two heartbeats")

    def handle(self, *args, interval, **options):
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write(f"worker {INSTANCE}: started, a heartbeat every {interval} s")
        beats = 0
        while not stop.is_set():
            beats += 1
            Heartbeat.objects.update_or_create(
                worker=INSTANCE, defaults={"beats": beats, "updated": timezone.now()}
            )
            self.stdout.write(f"worker {INSTANCE}: heartbeat {beats}")
            self.stdout.flush()
            stop.wait(interval)
        self.stdout.write(f"worker {INSTANCE}: stopped after {beats} heartbeats")
