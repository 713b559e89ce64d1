"""Measurement set-ups used by the consent and analytics tests, one per kind of provider."""

SCRIPT = {
    "name": "Example Analytics",
    "src": "https://tags.example.net/tag.js",
    "origins": ["https://collect.example.net"],
    "controller": "Example Analytics Ltd",
    "role": "controller",
    "country": "IE",
    "category": "audience_measurement",
    "purpose": "Audience statistics by Example Analytics.",
    "purpose_fr": "Statistiques d'audience par Example Analytics.",
    "policy_url": "https://example.net/privacy",
    "retention_months": 14,
    "cookies": [
        {
            "name": "_ex",
            "retention_days": 395,
            "purpose": "Example visitor identifier.",
            "purpose_fr": "Identifiant de visiteur d'Example.",
        }
    ],
}
MATOMO = {"url": "https://stats.example.org/", "site_id": 3}

CONFIGS = {
    "none": {"analytics": {"providers": []}},
    "builtin": {"analytics": {"providers": ["builtin"]}},
    "matomo-exempt": {
        "analytics": {"providers": ["matomo"], "matomo": dict(MATOMO, mode="exempt")}
    },
    "matomo-consent": {
        "analytics": {"providers": ["matomo"], "matomo": dict(MATOMO, mode="consent")}
    },
    "script": {"analytics": {"providers": ["script"], "script": SCRIPT}},
}
# For each set-up: is the banner on, which cookies may exist, which origins the CSP admits once allowed.
EXPECTED = {
    "none": (False, {"__Host-session", "__Host-csrf"}, []),
    "builtin": (False, {"__Host-session", "__Host-csrf", "__Host-consent"}, []),
    "matomo-exempt": (False, {"__Host-session", "__Host-csrf", "__Host-consent", "_pk_id.3.*", "_pk_ses.3.*"}, ["https://stats.example.org"]),
    "matomo-consent": (True, {"__Host-session", "__Host-csrf", "__Host-consent", "_pk_id.3.*", "_pk_ses.3.*"}, ["https://stats.example.org"]),
    "script": (True, {"__Host-session", "__Host-csrf", "__Host-consent", "_ex"}, ["https://tags.example.net", "https://collect.example.net"]),
}  # fmt: skip
