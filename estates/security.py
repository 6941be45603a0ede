"""Cross-cutting security: personal data out of logs, the login throttle, security events.

- ``PersonalDataMaskingFilter`` (from ``security_logging``) is installed on every log handler in
  settings: it masks mainland mobile numbers (11 digits) and resident ID numbers (18 characters)
  in the message, its arguments and the formatted traceback, whoever logged them.
- ``ThrottledModelBackend`` replaces Django's ModelBackend (so the staff login and the admin login
  are both covered): each attempt first *claims* a slot with a conditional UPDATE, and only a
  claimed attempt has its password checked. N parallel attempts therefore count exactly
  ``LOGIN_THROTTLE_FAILURES`` before the lock, whatever the interleaving.
- ``security_event_record`` writes one ``SecurityEvent``; the middleware calls it for denied requests.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The log filter lives in a module that imports no models: settings' LOGGING loads it before the apps.
from .security_logging import PersonalDataMaskingFilter, mask_personal_data

__all__ = ["PersonalDataMaskingFilter", "ThrottledAuthenticationForm", "ThrottledModelBackend", "mask_personal_data"]

logger = logging.getLogger(__name__)

# --- Login throttle ------------------------------------------------------------------------------


def _throttle_settings() -> tuple[int, timedelta, timedelta]:
    return (
        settings.LOGIN_THROTTLE_FAILURES,
        timedelta(seconds=settings.LOGIN_THROTTLE_WINDOW_SECONDS),
        timedelta(seconds=settings.LOGIN_THROTTLE_LOCK_SECONDS),
    )


def _throttle_key(username: str, request) -> tuple[str, str]:
    address = (request.META.get("REMOTE_ADDR") or "unknown") if request is not None else "unknown"
    return (username or "").strip().lower()[:150], address[:45]


def login_attempt_claim(*, username: str, ip_address: str) -> bool:
    """Count one login attempt against (username, address); False when the pair is locked.

    The attempt is counted *before* the password is checked (``login_attempt_succeeded`` gives it
    back), so concurrent attempts cannot all slip in between a check and an increment: the
    conditional UPDATE ``failures < N`` lets exactly N through per window. The N-th claim sets
    ``locked_until``. Safe under any concurrency; raises nothing but database errors.
    """
    from .models import LoginThrottle

    limit, window, lock = _throttle_settings()
    now = timezone.now()
    rows = LoginThrottle.objects.filter(username=username, ip_address=ip_address)
    if not rows.exists():
        try:
            with transaction.atomic():
                LoginThrottle.objects.create(username=username, ip_address=ip_address, window_started_at=now)
        except IntegrityError:
            pass  # another attempt created it first
    # A window that has run out, or a lock that has expired, starts afresh (conditional: once).
    rows.filter(
        Q(locked_until__isnull=True, window_started_at__lte=now - window) | Q(locked_until__lte=now)
    ).update(failures=0, window_started_at=now, locked_until=None)
    claimed = rows.filter(failures__lt=limit).update(
        failures=F("failures") + 1,
        locked_until=Case(When(failures__gte=limit - 1, then=Value(now + lock)), default=F("locked_until")),
    )
    return bool(claimed)


def login_attempt_succeeded(*, username: str, ip_address: str) -> None:
    """A right password clears the pair's count and any lock its own claim set (it was not a failure)."""
    from .models import LoginThrottle

    LoginThrottle.objects.filter(username=username, ip_address=ip_address).update(
        failures=0, window_started_at=timezone.now(), locked_until=None
    )


def login_throttles_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete pairs idle for a day. Idempotent."""
    from .models import LoginThrottle

    cutoff = timezone.now() - older_than
    deleted, _ = LoginThrottle.objects.filter(window_started_at__lt=cutoff).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lt=cutoff)
    ).delete()
    return deleted


LOCKED_MESSAGE = _("Too many failed attempts. This account is locked on this address for 15 minutes; try again later.")


class ThrottledModelBackend(ModelBackend):
    """Django's ModelBackend behind the login throttle (both the staff and the admin login use it)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(self._username_field())
        if username is None or password is None:
            return None
        key_user, key_ip = _throttle_key(username, request)
        if not login_attempt_claim(username=key_user, ip_address=key_ip):
            if request is not None:
                request.touchstone_login_locked = True
                security_event_record(request=request, kind="login_locked", status_code=429, actor_label=key_user)
            # PermissionDenied stops Django trying further backends: the right password is refused too.
            raise PermissionDenied(str(LOCKED_MESSAGE))
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            login_attempt_succeeded(username=key_user, ip_address=key_ip)
        return user

    @staticmethod
    def _username_field() -> str:
        from django.contrib.auth import get_user_model

        return get_user_model().USERNAME_FIELD


class ThrottledAuthenticationForm(AuthenticationForm):
    """The login form that says plainly when the throttle refused the attempt."""

    error_messages = {**AuthenticationForm.error_messages, "locked": LOCKED_MESSAGE}

    def get_invalid_login_error(self):
        if getattr(self.request, "touchstone_login_locked", False):
            return forms.ValidationError(self.error_messages["locked"], code="locked")
        return super().get_invalid_login_error()

    @property
    def locked(self) -> bool:
        return any(e.code == "locked" for e in self.errors.as_data().get("__all__", []))


# --- Security events -----------------------------------------------------------------------------


def _actor_of(request) -> tuple[str, int | None, str]:
    from .models import ApiClient

    user = getattr(request, "user", None)
    if isinstance(user, ApiClient):
        return "api_client", user.pk, user.name[:160]
    if user is not None and getattr(user, "is_authenticated", False):
        return "user", user.pk, user.get_username()[:160]
    return "anonymous", None, ""


def security_event_record(*, request, kind: str, status_code: int, object_type: str = "", object_id: str = "",
                          actor_label: str = "") -> None:
    """Write one SecurityEvent for a denied request. Never raises: a failure is logged instead.

    The path is stored without its query string and with personal data masked.
    """
    from .models import SecurityEvent

    actor_type, actor_id, label = _actor_of(request)
    match = getattr(request, "resolver_match", None)
    try:
        # Its own savepoint, so that a failure cannot poison a transaction the caller may hold.
        with transaction.atomic():
            SecurityEvent.objects.create(
                kind=kind,
                actor_type=actor_type,
                actor_id=actor_id,
                actor_label=(label or mask_personal_data(actor_label))[:160],
                method=request.method[:10],
                path=mask_personal_data(request.path)[:500],
                route=(match.view_name if match else "")[:200],
                object_type=object_type[:100],
                object_id=mask_personal_data(str(object_id))[:100],
                status_code=status_code,
            )
    except DatabaseError:
        logger.exception("could not record a security event for %s %s", request.method, request.path)
