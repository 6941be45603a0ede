"""Optimistic locking over HTTP: ``ETag`` on a versioned object's representation, ``If-Match`` on
writes (docs/trust.md, item 16).

Both are optional additions to API_CONTRACT.md: a caller that sends no ``If-Match`` gets exactly the
contract's behaviour. One that does gets 412 Precondition Failed (``{"detail": "..."}``, the
contract's error shape) when the object changed since it read the ETag, and nothing is written.
"""

from __future__ import annotations

import re

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

_TAG = re.compile(r'\s*(W/)?"v(\d{1,18})"\s*')

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description='Optional. The ETag read from the object (e.g. "v7"): the write is refused with 412 '
    "if the object changed since; `*` or no header: no check.",
)
PRECONDITION_FAILED = OpenApiResponse(description="If-Match named a version the object no longer has; nothing written.")


def etag(version: int) -> str:
    return f'"v{version}"'


def expected_versions(request) -> frozenset[int] | None:
    """The versions an ``If-Match`` header accepts; None when there is no header or it is ``*``.

    Strong comparison (RFC 9110 §13.1.1): weak tags and anything unparseable match nothing, so a
    header naming no current version is refused rather than ignored."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    versions = set()
    for part in header.split(","):
        match = _TAG.fullmatch(part)
        if match and not match.group(1):
            versions.add(int(match.group(2)))
    return frozenset(versions)
