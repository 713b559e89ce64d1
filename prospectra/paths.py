"""Where the package and, in a development install, its checkout are on disk."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
# The checkout above the package in a development install (make serve, the tests); in an installed
# package it is site-packages, which holds no pyproject.toml.
PROJECT_ROOT = PACKAGE.parent


def in_checkout() -> bool:
    """Whether the package runs from a source checkout (an editable install) rather than a wheel."""
    return (PROJECT_ROOT / "pyproject.toml").is_file()
