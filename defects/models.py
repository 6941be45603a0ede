"""Models of the defects app."""
