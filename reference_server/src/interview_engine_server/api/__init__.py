"""The API's routes, one module per resource; ``ENDPOINTS`` is the route table in the order documented."""

from __future__ import annotations

from ..routing import Endpoint
from . import accounts, admin, candidate, interviews, meta, reviews, webhooks, webrtc

ENDPOINTS: tuple[Endpoint, ...] = (
    *meta.ENDPOINTS,
    *interviews.ENDPOINTS,
    *reviews.ENDPOINTS,
    *candidate.ENDPOINTS,
    *webrtc.ENDPOINTS,
    *accounts.ENDPOINTS,
    *admin.ENDPOINTS,
    *webhooks.ENDPOINTS,
)
