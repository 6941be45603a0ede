"""One SecurityEvent per denied request, decided from the response status.

401, 403, 429, a 404 on a route that matched (a missing object and one outside the caller's
scope look the same to the caller, and alike here), and an anonymous caller redirected to a
login page. The throttled login answers 200 with a form error, so the throttle records its own.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import NoReverseMatch, reverse

from estates.security import security_event_record

KINDS = {401: "unauthenticated", 403: "forbidden", 404: "not_found", 429: "throttled"}
# Routes whose redirect to the login page is the expected answer, not a refusal.
QUIET_ROUTES = frozenset({"logout", "admin:logout", "login", "admin:login"})


def _login_paths() -> set[str]:
    paths = {resolve_url(settings.LOGIN_URL)}
    try:
        paths.add(reverse("admin:login"))
    except NoReverseMatch:  # pragma: no cover - the admin is always mounted
        pass
    return paths


def _object_of(match) -> tuple[str, str]:
    """("customer", "42") from a route like ``api-customer-detail`` with kwargs {"pk": 42}."""
    if match is None or not match.kwargs:
        return "", ""
    name = (match.url_name or "").removeprefix("api-")
    object_type = name.split("-", 1)[0] if name else ""
    if match.namespace and match.namespace != "admin":
        object_type = f"{match.namespace}.{object_type}"
    for key in ("pk", "id", "code", "object_id", "token", *match.kwargs):
        if key in match.kwargs:
            return object_type, str(match.kwargs[key])
    return object_type, ""  # pragma: no cover


class SecurityEventMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.login_paths = None

    def __call__(self, request):
        response = self.get_response(request)
        kind = self._kind(request, response)
        if kind:
            object_type, object_id = _object_of(getattr(request, "resolver_match", None))
            security_event_record(
                request=request, kind=kind, status_code=response.status_code, object_type=object_type, object_id=object_id
            )
        return response

    def _kind(self, request, response) -> str | None:
        status = response.status_code
        match = getattr(request, "resolver_match", None)
        if status == 404:
            return KINDS[404] if match is not None else None
        if status in KINDS:
            return KINDS[status]
        if status == 302 and not getattr(getattr(request, "user", None), "is_authenticated", False):
            if match is not None and match.view_name in QUIET_ROUTES:
                return None
            if self.login_paths is None:
                self.login_paths = _login_paths()
            if urlsplit(response.get("Location", "")).path in self.login_paths:
                return KINDS[401]
        return None
