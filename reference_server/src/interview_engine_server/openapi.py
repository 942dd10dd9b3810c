"""The OpenAPI 3.1 document, generated from the route table and the same pydantic models that validate
requests and responses. Nothing in it is written by hand except prose."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .errors import STATUS_TEXT, ErrorBody
from .routing import PATH_PARAMETERS, Endpoint, NoQuery
from .websocket import WEBSOCKET_DOC

REF = "#/components/schemas/{model}"
SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "api_key": {"type": "http", "scheme": "bearer", "bearerFormat": "iek_<id>_<secret>",
                "description": "An API key of an HR back end, with scopes."},
    "recruiter": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                  "description": "A recruiter access token from `POST /v1/auth/login`; the account's role applies."},
    "candidate": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                  "description": "A candidate token for one interview (at most 15 minutes, refreshable)."},
}
DESCRIPTION = """The reference server of interview-engine: HR back ends create interviews with API keys,
candidates sit them in the browser widget with short-lived candidate tokens, recruiters review reports.

Every error has the body `{"error": {"code": "...", "message": "...", "details": [...]}}`.
Credentials go in `Authorization: Bearer <credential>`.

"""


def openapi_document(endpoints: tuple[Endpoint, ...], *, server_url: str) -> dict[str, Any]:
    key_map, definitions = models_json_schema(_models(endpoints), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, key_map)
    return {
        "openapi": "3.1.0",
        "info": {"title": "interview-engine server", "version": version("interview-engine-server"),
                 "description": DESCRIPTION + WEBSOCKET_DOC},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": SECURITY_SCHEMES,
            "responses": {f"Error{status}": _error_response(status, key_map) for status in STATUS_TEXT},
        },
    }


def _models(endpoints: tuple[Endpoint, ...]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    models: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(ErrorBody, "serialization"): None}
    for endpoint in endpoints:
        if endpoint.body is not None:
            models[(endpoint.body, "validation")] = None
        if endpoint.query is not NoQuery:
            models[(endpoint.query, "validation")] = None
        if endpoint.response is not None:
            models[(endpoint.response, "serialization")] = None
    return list(models)


def _operation(endpoint: Endpoint, key_map: dict[Any, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": endpoint.operation_id,
        "summary": endpoint.summary,
        "description": _description(endpoint),
        "tags": [endpoint.tag],
        "parameters": _path_parameters(endpoint) + _query_parameters(endpoint),
        "security": [{kind: []} for kind in endpoint.access.kinds],
        "responses": {str(endpoint.status): _success(endpoint, key_map)}
        | {str(status): {"$ref": f"#/components/responses/Error{status}"} for status in endpoint.error_statuses()},
    }
    if endpoint.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": key_map[(endpoint.body, "validation")]}}}
    return operation


def _description(endpoint: Endpoint) -> str:
    text = (endpoint.handler.__doc__ or "").strip()
    who = []
    if endpoint.access.scope:
        who.append(f"API keys with the scope `{endpoint.access.scope}`")
    if endpoint.access.roles:
        who.append("recruiters with the role " + " or ".join(f"`{r}`" for r in sorted(endpoint.access.roles)))
    if endpoint.access.candidate:
        who.append("candidate tokens (" + ", ".join(f"`{c}`" for c in sorted(endpoint.access.candidate)) + ")")
    allowed = "Anyone." if endpoint.access.public else "Allowed: " + "; ".join(who) + "."
    return f"{text}\n\n{allowed}"


def _success(endpoint: Endpoint, key_map: dict[Any, Any]) -> dict[str, Any]:
    if endpoint.response is None:
        return {"description": "Done; no content."}
    response: dict[str, Any] = {"description": endpoint.summary, "content": {
        "application/json": {"schema": key_map[(endpoint.response, "serialization")]}}}
    if endpoint.links:
        response["links"] = endpoint.links
    return response


def _path_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    parameters = []
    for name in endpoint.path_parameters:
        pattern, description = PATH_PARAMETERS[name]
        parameters.append({"name": name, "in": "path", "required": True, "description": description,
                           "schema": {"type": "string", "pattern": pattern}})
    return parameters


def _query_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    if endpoint.query is NoQuery:
        return []
    schema = endpoint.query.model_json_schema(mode="validation", ref_template=REF)
    required = set(schema.get("required", []))
    parameters = []
    for name, field_schema in schema.get("properties", {}).items():
        parameter = {"name": name, "in": "query", "required": name in required, "schema": _not_null(field_schema)}
        if "description" in field_schema:
            parameter["description"] = field_schema["description"]
        parameters.append(parameter)
    return parameters


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter is absent rather than null: drop the null branch of an optional field."""
    schema = {k: v for k, v in schema.items() if k not in ("title", "description", "default")}
    variants = [v for v in schema.get("anyOf", []) if v.get("type") != "null"]
    if "anyOf" in schema and len(variants) == 1:
        return {**{k: v for k, v in schema.items() if k != "anyOf"}, **variants[0]}
    return schema


def _error_response(status: int, key_map: dict[Any, Any]) -> dict[str, Any]:
    response: dict[str, Any] = {"description": STATUS_TEXT[status], "content": {
        "application/json": {"schema": key_map[(ErrorBody, "serialization")]}}}
    if status == 429:
        response["headers"] = {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"}}}
    return response
