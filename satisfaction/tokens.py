"""The owner's link: a signed token naming the invitation and the last day it can be answered.

Signed with ``django.core.signing`` under its own salt, so a token from another part of the site
or an edited one is refused; the date inside it makes an old link expire even if the row were
reopened. No login is involved: holding the link is the owner's authority for this one survey.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core import signing
from django.utils import timezone

SALT = "satisfaction.invitation"


class TokenInvalid(Exception):
    pass


class TokenExpired(TokenInvalid):
    pass


@dataclass(frozen=True)
class TokenData:
    invitation_id: int
    closes_on: date


def make_token(*, invitation_id: int, closes_on: date) -> str:
    return signing.dumps({"i": invitation_id, "c": closes_on.isoformat()}, salt=SALT)


def read_token(token: str, *, today: date | None = None) -> TokenData:
    """Raise TokenInvalid for a tampered or foreign token, TokenExpired after its closing day."""
    try:
        payload = signing.loads(token or "", salt=SALT)
        data = TokenData(invitation_id=int(payload["i"]), closes_on=date.fromisoformat(payload["c"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise TokenInvalid from None
    if (today or timezone.localdate()) > data.closes_on:
        raise TokenExpired
    return data
