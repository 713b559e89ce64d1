"""Security headers graded as the MDN HTTP Observatory grades them (tools/observatory, npm)."""

from __future__ import annotations

import shutil
import subprocess
import threading

import pytest
from werkzeug.serving import make_server

from prospectra import create_app
from prospectra.paths import PROJECT_ROOT
from tests.helpers import LEGAL_HOSTING
from tests.helpers import LEGAL_SERVICE
from tests.helpers import MAIL_KEY

SCAN = PROJECT_ROOT / "tools" / "observatory" / "scan.sh"


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    """The app as deployed: production mode behind a TLS proxy that sets X-Forwarded-Proto."""
    settings = {
        "app": {
            "instance_path": str(tmp_path_factory.mktemp("instance")),
            "environment": "production",
            "secret_key": "observatory-" + "s" * 32,
        },
        "service": {"domain": "127.0.0.1", **LEGAL_SERVICE},
        "hosting": LEGAL_HOSTING,
        "mail": {"encryption_key": MAIL_KEY},
        "proxy": {"x_proto": 1, "x_host": 1},
    }
    server = make_server("127.0.0.1", 0, create_app(settings, testing=True), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.mark.parametrize(
    ("path", "minimum"), [("/login", 140), ("/", 135), ("/legal/cookies", 135)]
)
def test_observatory_grades_public_pages_a_plus(production_server, path, minimum):
    if shutil.which("node") is None:
        pytest.fail("node (>= 20) is needed to run the Observatory grader")
    result = subprocess.run(
        ["bash", str(SCAN), production_server + path],
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(PROJECT_ROOT / ".venv"),
             "OBS_MIN_SCORE": str(minimum)},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    last = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    assert result.returncode == 0, result.stdout + result.stderr
    assert last.startswith("observatory: A+ "), last
