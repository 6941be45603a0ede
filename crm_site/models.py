"""API plumbing that needs rows: the idempotency record."""

from django.db import models


class IdempotencyRecord(models.Model):
    """The first response to a creating POST, replayed for the same key from the same client for 24 h."""

    class State(models.TextChoices):
        PENDING = "pending"  # claimed by a request still running
        DONE = "done"  # response stored; later requests replay it

    principal = models.CharField(max_length=80)  # "ApiClient:12" or "User:3"
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=500)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    status_code = models.PositiveSmallIntegerField(null=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.BinaryField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["principal", "key"], name="idempotency_unique_key")]

    def __str__(self):
        return f"{self.principal} {self.key}"


class Heartbeat(models.Model):
    """Last time the worker ran the heartbeat task; read by /healthz and the worker test."""

    name = models.CharField(max_length=64, unique=True)
    beat_at = models.DateTimeField()

    def __str__(self):
        return f"{self.name} {self.beat_at:%Y-%m-%d %H:%M:%S}"
