"""The Redis channel layer must not time out its own blocking receive."""

from __future__ import annotations

from channels.layers import get_channel_layer
from channels_redis.core import RedisChannelLayer
from channels_redis.utils import create_pool


def test_socket_timeout_outlasts_the_layers_blocking_receive():
    # channels_redis waits for messages with BZPOPMIN for `brpop_timeout` seconds.
    # redis-py 8 reads with a 5 s socket timeout by default: equal to that wait, so
    # the read could time out first and kill every consumer in a group (each live
    # conversation), dropping its WebSocket a few seconds after it opened.
    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    pool = create_pool(layer.hosts[0])
    timeout = pool.connection_class(**pool.connection_kwargs).socket_timeout  # not connected: nothing to close
    assert timeout is None or timeout >= layer.brpop_timeout + 5
