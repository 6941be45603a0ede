"""Route-matrix registrations for satisfaction (tests/security/routes.py).

The owners' survey pages and their API are opened by token, without an account: public.
Not registered yet (test_every_object_route_has_a_scope_factory names them): waves, invitations,
follow-ups and templates — their scope factories are still to be written.
"""

FACTORIES: dict = {}

PUBLIC = {
    "satisfaction:survey",
    "satisfaction:survey-thanks",
    "satisfaction:survey-opt-out",
    "satisfaction-public-survey",
}
