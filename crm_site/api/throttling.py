from rest_framework.throttling import SimpleRateThrottle


class ActorRateThrottle(SimpleRateThrottle):
    """One budget per API client or staff user (per address for anonymous callers)."""

    scope = "actor"

    def get_cache_key(self, request, view):
        user = request.user
        if getattr(user, "is_authenticated", False):
            ident = f"{type(user).__name__}:{user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
