"""OpenAPI 3 at /api/schema/ and Swagger UI at /api/docs/, served with no outside network."""

import re
from urllib.parse import urlsplit

import pytest
import yaml
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

CDN_HOSTS = ("unpkg.com", "jsdelivr.net", "cdnjs", "googleapis.com", "gstatic.com", "bootstrapcdn", "cloudflare")


@pytest.fixture
def schema(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_valid_openapi_3(schema):
    assert re.fullmatch(r"3\.\d+\.\d+", schema["openapi"])
    validate_schema(schema)  # raises on any violation of the OpenAPI 3 JSON schema


def test_the_schema_describes_the_sync_endpoint(schema):
    operation = schema["paths"]["/api/v1/sync/contracts/"]["post"]

    body = operation["requestBody"]["content"]
    assert list(body) == ["application/json"]
    assert body["application/json"]["schema"]["type"] == "array"
    record = schema["components"]["schemas"][body["application/json"]["schema"]["items"]["$ref"].rsplit("/", 1)[1]]
    assert {"external_id", "project", "unit", "customers", "signed_on"} <= set(record["required"])
    assert {"handover_on"} <= set(record["properties"])
    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    result = schema["components"]["schemas"][ok["$ref"].rsplit("/", 1)[1]]
    assert set(result["properties"]) == {"created", "updated", "unchanged", "errors"}
    assert "400" in operation["responses"]


def test_the_schema_describes_the_read_endpoints_and_token_auth(schema):
    assert {"/api/v1/projects/", "/api/v1/projects/{code}/", "/api/v1/units/", "/api/v1/units/{id}/", "/api/v1/customers/",
            "/api/v1/customers/{id}/"} <= set(schema["paths"])
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey", "in": "header", "name": "Authorization",
        "description": "`Token <key>`, as printed by `manage.py create_api_client`.",
    }


def test_the_customer_search_parameter_is_documented(schema):
    params = {p["name"] for p in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]}

    assert {"search", "page", "page_size"} <= params


def test_the_schema_command_validates_without_warnings():
    from io import StringIO

    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO())


def _same_origin_refs(html: str) -> list[str]:
    refs = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    for ref in refs:
        parts = urlsplit(ref)
        assert not parts.scheme, f"{ref} is not served by the app"
        assert not parts.netloc, f"{ref} is not served by the app"
    return refs


def test_the_docs_reference_only_assets_the_app_serves(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200

    refs = _same_origin_refs(response.content.decode())

    static = [r for r in refs if r.startswith("/static/")]
    assert len(static) >= 3
    for ref in static:
        path = finders.find(ref.removeprefix("/static/"))
        assert path, f"{ref} is not a static file of the app"
        text = open(path, "rb").read().decode("utf-8", "replace")  # noqa: SIM115
        assert not any(host in text for host in CDN_HOSTS), f"{ref} loads from a CDN"
    scripts = [r for r in refs if not r.startswith("/static/") and r.endswith("?script=")]
    assert scripts == ["/api/docs/?script="]


def test_the_docs_script_calls_no_outside_host(client):
    script = client.get("/api/docs/?script=").content.decode()

    assert not re.search(r"https?://", script)
    assert '"validatorUrl": null' in script  # otherwise Swagger UI fetches its badge from validator.swagger.io
    assert '"/api/schema/"' in script


def test_the_docs_page_has_a_csp_without_inline_script(client):
    csp = client.get("/api/docs/")["Content-Security-Policy"]

    assert "script-src 'self';" in csp
