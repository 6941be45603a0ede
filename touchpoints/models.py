"""Models of the touchpoints app."""
