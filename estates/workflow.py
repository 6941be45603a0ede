"""What every workflow shares: the transition table check and the error it raises.

Each app's models declare ``TRANSITIONS = {from_status: {to_status, ...}}``; services call
``require_transition`` before changing a status. The API's exception handler turns
``InvalidTransition`` into a 409 and the pages into a message, in one place each.
"""

from collections.abc import Mapping

from django.utils.translation import gettext as _


class InvalidTransition(Exception):
    """A workflow action that the object's current state does not allow."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class AuthorityExceeded(InvalidTransition):
    """The actor's role may not take this action; the case must go up the ladder."""


class StaleVersion(InvalidTransition):
    """Optimistic locking: the object changed since the caller read it (a form's hidden version,
    an API If-Match). Pages keep the user's input and say so; the API answers 412."""


def require_transition(transitions: Mapping[str, set[str] | frozenset[str]], current: str, target: str, *, action: str) -> None:
    if target not in transitions.get(current, ()):
        raise InvalidTransition(
            _("“%(action)s” is not allowed while the status is “%(status)s”.") % {"action": action, "status": current}
        )
