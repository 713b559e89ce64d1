"""Consent to audience measurement: the banner decision, the choice, its proof, the views."""
