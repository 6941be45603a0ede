"""Models of the satisfaction app."""
