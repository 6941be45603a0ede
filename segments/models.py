"""Models of the segments app."""
