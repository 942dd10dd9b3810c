"""A minimal host back end for the interview widget, standard library only: copy it into your product.

Each visit to ``/`` creates an interview on the interview-engine server with your API key (server to
server: the key never reaches the browser) and serves ``index.html`` with the candidate's short-lived
token in the ``<interview-widget>`` element. The widget then talks to the interview-engine server
directly, so add this page's origin to the tenant's CORS allow-list (``PATCH /v1/tenant``,
``{"cors_origins": ["http://127.0.0.1:8080"]}``).

    IE_SERVER=http://127.0.0.1:8000 IE_API_KEY=iek_... python host.py --port 8080
"""

from __future__ import annotations

import argparse
import html
import json
import os
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PAGE = (Path(__file__).parent / "index.html").read_text(encoding="utf-8")
SPEC = {"role": "Backend engineer", "level": "mid", "language": "en", "question_count": 3}


def create_interview(server: str, api_key: str, language: str) -> dict[str, object]:
    """POST /v1/interviews on the interview-engine server; returns its JSON answer."""
    body = json.dumps({"spec": {**SPEC, "language": language}}).encode()
    request = urllib.request.Request(f"{server}/v1/interviews", data=body, method="POST", headers={
        "Authorization": f"Bearer {api_key}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        created: dict[str, object] = json.load(response)
        return created


class Host(BaseHTTPRequestHandler):
    server_url = os.environ.get("IE_SERVER", "http://127.0.0.1:8000").rstrip("/")
    api_key = os.environ.get("IE_API_KEY", "")

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/":
            self.send_error(404)
            return
        language = "ko" if parse_qs(url.query).get("lang") == ["ko"] else "en"
        try:
            created = create_interview(self.server_url, self.api_key, language)
        except (urllib.error.URLError, OSError) as exc:
            self.send_error(502, "the interview server did not create an interview", str(exc))
            return
        candidate = created["candidate"]
        assert isinstance(candidate, dict)
        page = PAGE.replace("{{server}}", html.escape(self.server_url)) \
                   .replace("{{token}}", html.escape(str(candidate["token"]))) \
                   .replace("{{lang}}", language)
        body = page.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Security-Policy", f"default-src 'self'; script-src {self.server_url}; "
                         f"connect-src {self.server_url} {self.server_url.replace('http', 'ws', 1)}; "
                         "style-src 'self'; img-src 'self' data: blob:; media-src blob: mediastream:; base-uri 'none'")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    if not Host.api_key:
        parser.error("set IE_API_KEY to an API key with the interviews:write scope")
    with ThreadingHTTPServer((args.host, args.port), Host) as httpd:
        print(f"host page on http://{args.host}:{args.port}/ (interview server {Host.server_url})", flush=True)
        httpd.serve_forever()


if __name__ == "__main__":
    main()
