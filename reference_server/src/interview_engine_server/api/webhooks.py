"""Webhook endpoints of a tenant and the attempts to deliver to them (through the WebhookService).
Private and loopback targets are refused unless the tenant's settings allow them."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from ..auth.principals import ADMIN, Access
from ..errors import Conflict, Invalid, NotFound
from ..outbound import InvalidWebhookUrl
from ..routing import Call, Endpoint, NoQuery
from ..webhooks import WebhookAttempt, WebhookEndpoint, WebhookEventType, WebhookNotFound
from .common import audit

TAG = "Webhooks"
MANAGE = Access(scope="webhooks:manage", roles=ADMIN)


class WebhookEndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Annotated[str, Field(min_length=1, max_length=2048)]
    event_types: list[WebhookEventType] | None = Field(None, description="Omit for every event type.")


class WebhookEndpointList(BaseModel):
    items: list[WebhookEndpoint]


class AttemptQuery(BaseModel):
    model_config = ConfigDict(extra="ignore")

    endpoint_id: Annotated[str, Field(pattern=r"^ep_[0-9a-f]{32}$")] | None = None
    limit: Annotated[int, Field(ge=1, le=1000)] = 100


class WebhookAttemptList(BaseModel):
    items: list[WebhookAttempt]


async def list_webhook_endpoints(call: Call[None, NoQuery]) -> WebhookEndpointList:
    """The tenant's webhook endpoints (their secrets are shown only when created)."""
    return WebhookEndpointList(items=await call.services.webhooks.list_endpoints(tenant_id=call.tenant_id))


async def create_webhook_endpoint(call: Call[WebhookEndpointCreate, NoQuery]) -> WebhookEndpoint:
    """Register a URL for webhooks; the response carries its signing secret (`whsec_…`) this once. Verify
    deliveries with any Standard Webhooks library."""
    tenant = await call.services.tenants.get(call.tenant_id)
    try:
        endpoint = await call.services.webhooks.add_endpoint(
            tenant_id=call.tenant_id, url=call.body.url, event_types=call.body.event_types,
            allow_private=tenant.allow_private_webhooks)
    except InvalidWebhookUrl as exc:
        raise Invalid(str(exc), code="invalid_webhook_url") from None
    except ValueError as exc:
        raise Conflict(str(exc), code="too_many_endpoints") from None
    await audit(call, "webhook_endpoint.created", ("webhook_endpoint", endpoint.id), url=endpoint.url)
    return endpoint


async def delete_webhook_endpoint(call: Call[None, NoQuery]) -> None:
    """Remove an endpoint; what was pending for it is not sent, its attempts stay listed."""
    endpoint_id = call.path["endpoint_id"]
    try:
        await call.services.webhooks.delete_endpoint(tenant_id=call.tenant_id, endpoint_id=endpoint_id)
    except WebhookNotFound:
        raise NotFound("no such webhook endpoint") from None
    await audit(call, "webhook_endpoint.deleted", ("webhook_endpoint", endpoint_id))


async def list_webhook_attempts(call: Call[None, AttemptQuery]) -> WebhookAttemptList:
    """Every attempt to deliver a webhook (status, duration, response excerpt, error), newest first."""
    return WebhookAttemptList(items=await call.services.webhooks.attempts(
        tenant_id=call.tenant_id, endpoint_id=call.query.endpoint_id, limit=call.query.limit))


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/v1/webhooks/endpoints", list_webhook_endpoints, "List webhook endpoints", TAG, MANAGE,
             response=WebhookEndpointList),
    Endpoint("POST", "/v1/webhooks/endpoints", create_webhook_endpoint, "Add a webhook endpoint", TAG, MANAGE,
             body=WebhookEndpointCreate, response=WebhookEndpoint, status=201, errors=(409,)),
    Endpoint("DELETE", "/v1/webhooks/endpoints/{endpoint_id}", delete_webhook_endpoint, "Remove a webhook endpoint",
             TAG, MANAGE, status=204),
    Endpoint("GET", "/v1/webhooks/attempts", list_webhook_attempts, "List delivery attempts", TAG, MANAGE,
             query=AttemptQuery, response=WebhookAttemptList),
)
