"""API tokens for teachers: shown once when created, stored only as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tutor.models import User

from .models import ApiToken
from .services import check_is_teacher

TOKEN_PREFIX = "plt_"
MAX_ACTIVE_TOKENS = 20
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def do_create_api_token(teacher: User, name: str) -> tuple[ApiToken, str]:
    """The new token and its secret; the secret is not stored and cannot be shown again."""
    check_is_teacher(teacher)
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise ValidationError("A token needs a name of at most 80 characters.")
    if ApiToken.objects.filter(user=teacher, revoked_at__isnull=True).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(f"At most {MAX_ACTIVE_TOKENS} active tokens; revoke one first.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=teacher, name=name, prefix=secret[:12], token_hash=hash_token(secret))
    return token, secret


def do_revoke_api_token(user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise PermissionDenied("This token is not yours.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


def user_for_token(secret: str) -> User | None:
    """The teacher a live token belongs to, or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_token(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or not token.user.is_teacher:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def tokens_of(user: User):
    return ApiToken.objects.filter(user=user)
