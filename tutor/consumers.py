"""The /ws/conversation/ endpoint: transport only; behaviour lives in tutor.live."""

from __future__ import annotations

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from .live import Limits, LiveConnection
from .protocol import CloseCode


def session_group(session_id) -> str:
    return f"conversation.{session_id}"


class ConversationConsumer(AsyncWebsocketConsumer):
    live: LiveConnection | None = None
    joined_group: str | None = None

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=int(CloseCode.UNAUTHENTICATED))
            return
        self.live = LiveConnection(
            user,
            Limits(**settings.PARLEY_WS),
            send_text=lambda text: self.send(text_data=text),
            send_bytes=lambda data: self.send(bytes_data=data),
            close=lambda code: self.close(code=int(code)),
        )

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.live is None:
            return
        if bytes_data is not None:
            await self.live.receive_bytes(bytes_data)
        elif text_data is not None:
            had_session = self.live.session is not None
            await self.live.receive_text(text_data)
            if not had_session and self.live.session is not None:
                await self._take_over_session(self.live.session.pk)

    async def disconnect(self, code: int) -> None:
        if self.joined_group:
            await self.channel_layer.group_discard(self.joined_group, self.channel_name)
        if self.live is not None:
            await self.live.disconnected()

    async def _take_over_session(self, session_id) -> None:
        """A reconnect may arrive before the server noticed the old connection drop: the newest one wins."""
        self.joined_group = session_group(session_id)
        await self.channel_layer.group_send(self.joined_group, {"type": "session.replaced", "by": self.channel_name})
        await self.channel_layer.group_add(self.joined_group, self.channel_name)

    async def session_replaced(self, message: dict) -> None:
        if message["by"] != self.channel_name:
            if self.live is not None:
                self.live.replaced = True
            await self.close(code=int(CloseCode.REPLACED))

    async def tutor_feedback(self, message: dict) -> None:
        """A background task's result for this session (see lessons.tasks.evaluate_answer)."""
        if self.live is not None:
            await self.live.background_result(message)
