"""`privacy evidence DIR`: a dated bundle whose manifest proves every file of it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from prospectra import state
from prospectra.audit.evidence import BANNER_FILES
from prospectra.privacy import report
from tests.measurement import CONFIGS

SECRET = "a-secret-key-that-must-never-leave-the-server-0123456789"


def bundle_of(runner, folder: Path) -> Path:
    result = runner.invoke(args=["privacy", "evidence", str(folder)])
    assert result.exit_code == 0, result.output
    (bundle,) = folder.iterdir()
    assert str(bundle) in result.output
    return bundle


def verify(bundle: Path) -> dict:
    """Every file but the manifest is listed with its SHA-256, and nothing else."""
    manifest = json.loads((bundle / "manifest.json").read_text())
    on_disk = {str(p.relative_to(bundle)) for p in bundle.rglob("*") if p.is_file()} - {
        "manifest.json"
    }
    assert set(manifest["files"]) == on_disk
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((bundle / name).read_bytes()).hexdigest() == digest, name
    return manifest


def test_evidence_bundle_holds_declaration_policy_banner_hashes_and_settings_but_no_secret(
    app_factory, settings, tmp_path
):
    settings["app"]["secret_key"] = SECRET
    app = app_factory(settings)
    bundle = bundle_of(app.test_cli_runner(), tmp_path / "evidence")
    manifest = verify(bundle)
    version = state.of(app).policy_version
    assert bundle.name.startswith("evidence-") and bundle.name.endswith("-policy-" + version)
    assert manifest["policy_version"] == version and manifest["consent_banner"] is False
    assert manifest["consent_banner_reason"] == "no provider configured"
    assert manifest["software"].startswith("prospectra ")
    assert json.loads((bundle / "cookies.json").read_text()) == state.of(app).declaration
    assert "__Host-csrf" in (bundle / "policy.en.html").read_text()
    assert '<html lang="fr"' in (bundle / "policy.fr.html").read_text()
    for name in BANNER_FILES:
        source = Path(app.root_path) / name
        assert manifest["banner_sha256"][name] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert not list(bundle.glob("*.png"))  # no banner: nothing to show
    every_byte = b"".join(p.read_bytes() for p in bundle.rglob("*") if p.is_file())
    assert SECRET.encode() not in every_byte
    kept = json.loads((bundle / "settings.json").read_text())
    assert kept["app"] == {"environment": "development"} and "database" not in kept
    assert kept["consent"]["choice_days"] == 182


@pytest.mark.browser
def test_evidence_bundle_has_a_screenshot_of_the_banner_when_it_is_on(
    app_factory, settings, tmp_path
):
    app = app_factory({**settings, **CONFIGS["script"]})
    bundle = bundle_of(app.test_cli_runner(), tmp_path / "evidence")
    manifest = verify(bundle)
    assert manifest["consent_banner"] is True
    assert manifest["consent_banner_reason"] == "script (Example Analytics) needs prior consent"
    for language in ("en", "fr"):
        png = (bundle / f"banner.{language}.png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000


def test_evidence_states_each_exemption_condition_as_asserted_or_enforced_and_the_banner_reason(
    app_factory, settings, tmp_path
):
    app = app_factory({**settings, **CONFIGS["matomo-exempt"]})
    bundle = bundle_of(app.test_cli_runner(), tmp_path / "evidence")
    manifest = verify(bundle)
    reason = "every provider is exempt (consent.banner = 'auto')"
    assert manifest["consent_banner"] is False and manifest["consent_banner_reason"] == reason
    status = json.loads((bundle / "status.json").read_text())
    assert status == report.status(app)
    lines = (bundle / "status.txt").read_text().splitlines()
    assert lines == report.text(status).splitlines()
    assert f"Consent banner: off — {reason}" in lines
    for condition in (
        "[asserted by configuration] IP addresses anonymised (2 bytes) in Matomo's settings",
        "[asserted by configuration] raw data deleted after 25 months in Matomo's settings",
        "[asserted by configuration] data used by the publisher only, not combined with other "
        "processing",
        "[enforced by the app] visitor cookie 395 days at most, never extended by later visits",
        "[enforced by the app] no user id, no cross-domain linking, no browser-feature detection",
        "[enforced by the app] tag only on the pages allowed, never on login, password or "
        "logged-in pages",
        "[enforced by the app] objection offered and honoured (Cookie settings, Sec-GPC, DNT)",
    ):
        assert f"        - {condition}" in lines
    (matomo,) = status["providers"]
    assert [c["enforced"] for c in matomo["exemption_conditions"]] == [True] * 4 + [False] * 3


def test_evidence_says_in_one_line_when_the_banner_needs_a_missing_chromium(
    app_factory, settings, tmp_path
):
    settings["analytics"] = {"providers": ["builtin"]}
    settings["consent"] = {"banner": "on"}
    app = app_factory(settings)
    result = app.test_cli_runner().invoke(
        args=["privacy", "evidence", str(tmp_path), "--chromium", str(tmp_path / "none")]
    )
    assert result.exit_code == 2
    assert f"Chromium not found at {tmp_path / 'none'}" in result.output
    assert len(result.output.strip().splitlines()) == 1
