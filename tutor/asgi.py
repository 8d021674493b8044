import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutor.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from .consumers import ConversationConsumer  # noqa: E402
from .engine.voice import warm_in_background  # noqa: E402
from .security import OriginCheckMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": OriginCheckMiddleware(
            AuthMiddlewareStack(URLRouter([path("ws/conversation/", ConversationConsumer.as_asgi())]))
        ),
    }
)

if os.environ.get("PARLEY_WARM_VOICE", "1") == "1":
    warm_in_background("en-us")
