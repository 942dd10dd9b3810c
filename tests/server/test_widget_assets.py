"""The widget's script as the server serves it: the current build at /widget.js (short cache), the same
bytes at /widget/<version>.js (immutable), a clear 404 for another version, 304 on a matching ETag, a
clear 503 before the widget is built; the build within its size budget and its TypeScript type-checked."""

from __future__ import annotations

import gzip
import hashlib
import subprocess
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from interview_engine_server.widget_assets import IMMUTABLE, SHORT_CACHE, WIDGET_FILE, WidgetAssets, widget_routes

BUDGET_GZ_BYTES = 40 * 1024
WIDGET_SOURCE = Path(__file__).parents[2] / "web_widget"


def client(path: Path) -> TestClient:
    return TestClient(Starlette(routes=widget_routes(WidgetAssets(path))))


@pytest.fixture
def built(tmp_path: Path) -> Path:
    path = tmp_path / "widget.js"
    path.write_text("customElements.define('interview-widget', class extends HTMLElement {});\n")
    return path


def test_the_built_widget_is_within_its_size_budget() -> None:
    assert WIDGET_FILE.is_file(), "the widget is not built: run ./scripts/install.sh (npm ci && npm run build)"
    body = WIDGET_FILE.read_bytes()
    assert len(gzip.compress(body, compresslevel=9)) < BUDGET_GZ_BYTES
    assert b"interview-widget" in body
    # text goes in as text: no HTML parser or code-from-string sink anywhere in the bundle
    sinks = [b"innerHTML", b"outerHTML", b"insertAdjacentHTML", b"document.write", b"createContextualFragment",
             b"srcdoc", b"eval(", b"new Function", b"setHTML", b"parseFromString"]
    assert [sink for sink in sinks if sink in body] == []


def test_the_widget_source_type_checks() -> None:
    result = subprocess.run(["npm", "run", "--prefix", str(WIDGET_SOURCE), "--silent", "typecheck"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_widget_js_serves_the_current_build_with_a_short_cache(built: Path) -> None:
    version = hashlib.sha256(built.read_bytes()).hexdigest()[:16]
    with client(built) as http:
        response = http.get("/widget.js")
        assert response.status_code == 200 and response.content == built.read_bytes()
        assert response.headers["content-type"] == "text/javascript; charset=utf-8"
        assert response.headers["cache-control"] == SHORT_CACHE
        assert response.headers["etag"] == f'"{version}"'
        assert response.headers["link"] == f'</widget/{version}.js>; rel="canonical"'
        assert response.headers["access-control-allow-origin"] == "*"
        pinned = http.get(f"/widget/{version}.js")
        assert pinned.status_code == 200 and pinned.content == response.content
        assert pinned.headers["cache-control"] == IMMUTABLE
        assert http.get("/widget.js", headers={"if-none-match": f'"{version}"'}).status_code == 304
        assert http.head("/widget.js").status_code == 200


def test_another_version_is_a_clear_404_and_a_rebuild_is_served(built: Path) -> None:
    with client(built) as http:
        old = http.get("/widget.js").headers["etag"].strip('"')
        for asked in ("0123456789abcdef", "..", "%3Cscript%3E", "x" * 500):
            response = http.get(f"/widget/{asked}.js")
            assert response.status_code == 404, asked
            assert response.json()["error"]["code"] == "not_found"
        built.write_text("/* rebuilt */ customElements.define('interview-widget', class extends HTMLElement {});\n")
        new = http.get("/widget.js").headers["etag"].strip('"')
        assert new != old
        assert http.get(f"/widget/{old}.js").status_code == 404
        assert http.get(f"/widget/{new}.js").status_code == 200


def test_an_unbuilt_widget_is_a_clear_503(tmp_path: Path) -> None:
    with client(tmp_path / "missing" / "widget.js") as http:
        for path in ("/widget.js", "/widget/0123456789abcdef.js"):
            response = http.get(path)
            assert response.status_code == 503
            error = response.json()["error"]
            assert error["code"] == "widget_not_built" and "npm run build" in error["message"]
