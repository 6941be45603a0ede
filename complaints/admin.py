"""Admin registrations for the complaints app."""
