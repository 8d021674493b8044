"""WebSocket origin check that refuses with a documented close code (4403)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from .protocol import CloseCode


def origin_allowed(origin: str | None) -> bool:
    if not origin:
        return False
    parts = urlsplit(origin)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return False
    host, _port = split_domain_port(parts.netloc)
    allowed = list(settings.ALLOWED_HOSTS)
    allowed += [urlsplit(trusted).hostname or "" for trusted in settings.CSRF_TRUSTED_ORIGINS]
    return validate_host(host, allowed)


class OriginCheckMiddleware:
    """Accepts the handshake only to close it with 4403 when the Origin is not one of ours.

    Channels' AllowedHostsOriginValidator answers with an HTTP 403 instead, which
    browsers report as an anonymous close 1006; a 4403 tells the client why.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin", b"").decode("latin-1") or None
        if origin_allowed(origin):
            return await self.app(scope, receive, send)
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": int(CloseCode.FORBIDDEN_ORIGIN)})
