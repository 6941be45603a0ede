"""The Django admin for the portfolio catalogues."""

import pytest

from estates.models import ApiClient
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize("model", ["project", "building", "unit", "customer", "contract", "user", "department", "apiclient"])
def test_every_admin_list_renders(admin_client_, project, model):
    assert admin_client_.get(f"/admin/estates/{model}/").status_code == 200


def test_api_clients_are_not_added_in_the_admin(admin_client_):
    assert admin_client_.get("/admin/estates/apiclient/add/").status_code == 403
    assert ApiClient.objects.count() == 0


def test_the_admin_revokes_keys(admin_client_, api_client_key):
    client, _key = api_client_key

    admin_client_.post("/admin/estates/apiclient/", {"action": "revoke", "_selected_action": [client.pk]})

    client.refresh_from_db()
    assert client.revoked_at is not None
