"""The protocol through a real daphne server and a real WebSocket client library."""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tutor.protocol import PROTOCOL_VERSION, BinaryFrame, CloseCode, FrameKind

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


async def close_code(uri: str, origin: str | None, cookie: bytes | None) -> int:
    headers = {"Cookie": cookie.decode()} if cookie else {}
    async with connect(uri, origin=origin, additional_headers=headers) as ws:
        with contextlib.suppress(ConnectionClosed):
            async with asyncio.timeout(10):
                async for _message in ws:
                    pass
        return ws.close_code


@pytest.mark.parametrize(
    ("who", "origin", "expected"),
    [
        (None, "http://127.0.0.1", CloseCode.UNAUTHENTICATED),
        ("learner", "https://evil.example", CloseCode.FORBIDDEN_ORIGIN),
    ],
)
def test_refusals_carry_the_documented_close_code(daphne_server, personas, who, origin, expected):
    cookie = personas["cookies"][who] if who else None
    uri = f"ws://{daphne_server}/ws/conversation/"
    assert asyncio.run(close_code(uri, origin, cookie)) == expected


def test_stop_ends_the_session_with_a_normal_close(daphne_server, personas):
    async def conversation():
        async with connect(
            f"ws://{daphne_server}/ws/conversation/",
            origin=f"http://{daphne_server}",
            additional_headers={"Cookie": personas["cookies"]["learner"].decode()},
        ) as ws:
            await ws.send(json.dumps({"type": "hello", "protocol": PROTOCOL_VERSION}))
            assert json.loads(await ws.recv())["type"] == "welcome"
            await ws.send(BinaryFrame(FrameKind.PING, 5, 77, b"").encode())
            assert await ws.recv() == BinaryFrame(FrameKind.PONG, 5, 77, b"").encode()
            await ws.send(json.dumps({"type": "control", "action": "stop"}))
            async with asyncio.timeout(10):
                events = [json.loads(message) async for message in ws if isinstance(message, str)]
            return events, ws.close_code

    events, code = asyncio.run(conversation())
    assert events == [{"type": "state", "state": "ended"}] and code == CloseCode.NORMAL
