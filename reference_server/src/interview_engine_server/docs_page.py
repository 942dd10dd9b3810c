"""The API reference at /docs, rendered on the server from the OpenAPI document: plain HTML and one
stylesheet from this server, no script, no CDN, so it works offline and under a strict CSP."""

from __future__ import annotations

import json
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

DOCS_CSP = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
STYLESHEET = """
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 2rem; color: #1d2330; }
h1, h2 { border-bottom: 1px solid #d8dce4; padding-bottom: .3rem; }
nav ul { columns: 2; }
section.op { border: 1px solid #d8dce4; border-radius: 6px; padding: .2rem 1rem 1rem; margin: 1rem 0; }
.method { font-weight: 700; padding: .1rem .4rem; border-radius: 4px; background: #e8ecf4; margin-right: .4rem; }
pre { background: #f5f6f9; padding: .6rem; overflow-x: auto; font-size: 13px; white-space: pre-wrap; }
table { border-collapse: collapse; } td, th { border: 1px solid #d8dce4; padding: .2rem .5rem; text-align: left; }
.who { color: #4a5468; }
"""


def docs_routes_handlers(document: dict[str, Any]) -> tuple[Any, Any]:
    """The two handlers: the page (rendered once) and its stylesheet."""
    page = render(document)

    async def docs(request: Request) -> Response:
        return HTMLResponse(page, headers={"content-security-policy": DOCS_CSP, "cache-control": "no-cache"})

    async def stylesheet(request: Request) -> Response:
        return Response(STYLESHEET, media_type="text/css", headers={"cache-control": "no-cache"})

    return docs, stylesheet


def render(document: dict[str, Any]) -> str:
    info = document["info"]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            by_tag.setdefault(operation["tags"][0], []).append((method.upper(), path, operation))
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(info['title'])}</title><link rel='stylesheet' href='/docs/docs.css'></head><body>",
        f"<h1>{escape(info['title'])} <small>{escape(info['version'])}</small></h1>",
        "<p>Machine-readable: <a href='/v1/openapi.json'>/v1/openapi.json</a> (OpenAPI 3.1).</p>",
        f"<pre>{escape(info['description'])}</pre><nav><ul>",
    ]
    for tag, operations in by_tag.items():
        parts.append(f"<li><a href='#tag-{_anchor(tag)}'>{escape(tag)}</a> ({len(operations)})</li>")
    parts.append("</ul></nav>")
    for tag, operations in by_tag.items():
        parts.append(f"<h2 id='tag-{_anchor(tag)}'>{escape(tag)}</h2>")
        parts.extend(_operation(method, path, operation) for method, path, operation in operations)
    parts.append("<h2 id='schemas'>Schemas</h2>")
    for name, schema in document["components"]["schemas"].items():
        parts.append(f"<h3 id='schema-{_anchor(name)}'>{escape(name)}</h3><pre>{_json(schema)}</pre>")
    parts.append("</body></html>")
    return "".join(parts)


def _operation(method: str, path: str, operation: dict[str, Any]) -> str:
    parts = [f"<section class='op' id='{_anchor(operation['operationId'])}'>",
             f"<h3><span class='method'>{method}</span><code>{escape(path)}</code></h3>",
             f"<p><b>{escape(operation['summary'])}</b></p>",
             f"<p class='who'>{escape(operation['description'])}</p>"]
    if operation["parameters"]:
        parts.append("<table><tr><th>parameter</th><th>in</th><th>schema</th></tr>")
        for parameter in operation["parameters"]:
            parts.append(f"<tr><td>{escape(parameter['name'])}{'*' if parameter['required'] else ''}</td>"
                         f"<td>{escape(parameter['in'])}</td><td><code>{_json(parameter['schema'])}</code></td></tr>")
        parts.append("</table>")
    body = operation.get("requestBody")
    if body:
        parts.append(f"<p>Request body: {_schema_link(body['content']['application/json']['schema'])}</p>")
    parts.append("<ul>")
    for status, response in operation["responses"].items():
        if "$ref" in response:
            parts.append(f"<li>{escape(status)}: error (see the error shape)</li>")
            continue
        content = response.get("content", {}).get("application/json")
        schema = _schema_link(content["schema"]) if content else "no content"
        parts.append(f"<li>{escape(status)}: {schema}</li>")
    parts.append("</ul></section>")
    return "".join(parts)


def _schema_link(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        name = ref.rsplit("/", 1)[1]
        return f"<a href='#schema-{_anchor(name)}'>{escape(name)}</a>"
    return f"<code>{_json(schema)}</code>"


def _json(value: Any) -> str:
    return escape(json.dumps(value, indent=2, ensure_ascii=False))


def _anchor(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)
