"""Schema post-processing: the answers every API operation can give, documented once.

Every operation may answer 401 (no or bad credentials), 403 (authenticated but not allowed), 429
(throttled) and 400 (bad input); an operation addressing an object may answer 404 (missing or
outside the caller's scope, the same body). Views document their own success and domain codes.
"""

ERROR = {"type": "object", "properties": {"detail": {"type": "string"}}, "additionalProperties": True}

COMMON = {
    "400": "Bad input: {field: [messages]} or {\"detail\": ...}.",
    "401": "Not authenticated: no credentials, or a revoked, expired or unknown key.",
    "403": "Authenticated, but not allowed (role, scope of a named project, CSRF for sessions).",
    "429": "Throttled: try again after the Retry-After header.",
}


def add_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["ApiError"] = ERROR
    ref = {"application/json": {"schema": {"$ref": "#/components/schemas/ApiError"}}}
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            codes = dict(COMMON)
            codes["404"] = (
                "Missing or outside the caller's scope (the same body for both)"
                if "{" in path
                else "A page number past the end of the list, or a named project outside the caller's scope."
            )
            for code, description in codes.items():
                responses.setdefault(code, {"description": description, "content": ref})
    return result
