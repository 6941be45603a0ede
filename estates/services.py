"""Writes to the portfolio outside the sync: API clients, staff."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from . import api_client_cache
from .models import ApiClient


@transaction.atomic
def api_client_create(*, name: str, project_codes: list[str], expires_at: datetime | None = None,
                      sees_personal_data: bool = False) -> tuple[ApiClient, str]:
    """Create a client and return it with its key; the key itself is never stored."""
    key = ApiClient.generate_key()
    client = ApiClient.objects.create(
        name=name,
        key_prefix=key[: ApiClient.KEY_PREFIX_LENGTH],
        key_hash=ApiClient.hash_key(key),
        project_codes=sorted(set(project_codes)),
        expires_at=expires_at,
        sees_personal_data=sees_personal_data,
    )
    return client, key


def api_client_revoke(*, client: ApiClient) -> ApiClient:
    """Revoke the key. Repeating it keeps the first revocation time."""
    ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_client_cache.invalidate()  # every worker refuses the key from its next request
    client.refresh_from_db(fields=["revoked_at"])
    return client
