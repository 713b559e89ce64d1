"""Audience measurement: providers (providers.py), built-in counter, tags, statistics page."""
