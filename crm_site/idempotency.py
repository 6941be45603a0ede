"""``Idempotency-Key`` for every creating POST under /api/.

The key is claimed with an INSERT before the view runs (a unique constraint makes the claim
atomic across processes); the response is stored after it. A repeat within the TTL replays the
first status and body; a repeat while the first is still running gets 409. A failed first
attempt (5xx or an exception) releases the key so that the client can retry.
"""

from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import IdempotencyRecord

HEADER = "HTTP_IDEMPOTENCY_KEY"
STALE_CLAIM_SECONDS = 120


def _principal(request) -> str | None:
    # DRF authenticates inside the view; resolve the API key here so the claim is per client.
    from crm_site.api.authentication import ApiKeyAuthentication

    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"User:{user.pk}"
    try:
        result = ApiKeyAuthentication().authenticate(_Shim(request))
    except Exception:  # noqa: BLE001 - the view will answer 401 itself
        return None
    return f"ApiClient:{result[0].pk}" if result else None


class _Shim:
    """Enough of a DRF request for ApiKeyAuthentication: ``query_params``, the rest from Django's request."""

    def __init__(self, request):
        self._request = request
        self.query_params = request.GET

    def __getattr__(self, name):
        # META, headers, ... (DRF's get_authorization_header reads request.headers).
        return getattr(self._request, name)


class IdempotencyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = request.META.get(HEADER)
        if request.method != "POST" or not key or not request.path.startswith("/api/"):
            return self.get_response(request)
        if len(key) > 255:
            return JsonResponse({"Idempotency-Key": [_("At most 255 characters.")]}, status=400)
        principal = _principal(request)
        if principal is None:
            return self.get_response(request)
        now = timezone.now()
        cutoff = now - timedelta(hours=settings.IDEMPOTENCY_TTL_HOURS)
        IdempotencyRecord.objects.filter(principal=principal, key=key, created_at__lt=cutoff).delete()
        # A claim whose request died (worker killed mid-request) would otherwise block the key
        # for 24 h; no request runs longer than the gunicorn timeout, so an older claim is free.
        IdempotencyRecord.objects.filter(
            principal=principal, key=key, state=IdempotencyRecord.State.PENDING, created_at__lt=now - timedelta(seconds=STALE_CLAIM_SECONDS)
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(principal=principal, key=key, method=request.method, path=request.path)
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(principal=principal, key=key).first()
            if existing is None or existing.state == IdempotencyRecord.State.PENDING:
                return JsonResponse({"detail": _("A request with this Idempotency-Key is still being processed.")}, status=409)
            if existing.path != request.path:
                # Replaying another endpoint's response would be a lie about what this request did.
                return JsonResponse({"detail": _("This Idempotency-Key was already used for a different request.")}, status=409)
            response = HttpResponse(bytes(existing.body or b""), status=existing.status_code, content_type=existing.content_type)
            response["Idempotent-Replayed"] = "true"
            return response
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500 or getattr(response, "streaming", False):
            record.delete()
            return response
        if hasattr(response, "render") and not getattr(response, "is_rendered", True):
            response.render()
        record.state = IdempotencyRecord.State.DONE
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "application/json")
        record.body = response.content
        record.save(update_fields=["state", "status_code", "content_type", "body"])
        return response
