from django.db import models


class Heartbeat(models.Model):
    """The sample worker's sign of life (`manage.py worker`): one row per worker process."""

    worker = models.CharField(max_length=253, unique=True)
    beats = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField()
