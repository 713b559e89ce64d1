"""Prospectra tests."""
