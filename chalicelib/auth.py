"""Bearer-token verification: one code path for local HS256 tokens and Cognito tokens.

Locally and in tests tokens are HS256 JWTs signed with ``TAWASUL_JWT_SECRET`` carrying ``sub``,
``org``, ``role`` and ``exp`` (outside the local and test stages only with a secret of its own, never
the published default). In the cloud they come from a Cognito user pool (RS256, keys from
its JWKS, cached), with the organisation in ``custom:org`` and the role in ``cognito:groups``.
API Gateway's authorizer checks them too, but ``chalice local`` does not, so we never rely on it.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chalicelib.config import DEFAULT_JWT_SECRET, Environment
from chalicelib.domain.errors import Unauthenticated, Unavailable
from chalicelib.domain.principal import IDENTIFIER, ROLES, Principal, Role

if TYPE_CHECKING:
    import jwt

_ROLE_PRIORITY: tuple[Role, ...] = ("admin", "manager", "rep")
LEEWAY_SECONDS = 30


@lru_cache(maxsize=4)
def _jwks_client(url: str) -> jwt.PyJWKClient:
    import jwt

    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


def principal_from_header(authorization: str | None, settings: Environment) -> Principal:
    if not authorization:
        raise Unauthenticated("Send a bearer token in the Authorization header.")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("The Authorization header must be 'Bearer <token>'.")
    return principal_from_claims(verify(token.strip(), settings))


def verify(token: str, settings: Environment) -> dict[str, Any]:
    """The token's claims once its signature, issuer and claims check out.

    A front end sends the same token with every request for up to an hour, so a warm Lambda keeps
    the claims of the tokens it has verified (``_verified``, keyed by the exact token and the keys
    it was checked against; a token that fails is never kept) and checks only the expiry again.
    """
    claims = _verified(
        token, settings.jwt_secret, settings.cognito_user_pool_id, settings.cognito_client_id, settings.is_local
    )
    if float(claims["exp"]) + LEEWAY_SECONDS < time.time():  # PyJWT accepted it as a number
        raise Unauthenticated("The token has expired.")
    return dict(claims)


@lru_cache(maxsize=1024)
def _verified(
    token: str, secret: str, user_pool_id: str | None, client_id: str | None, is_local: bool
) -> dict[str, Any]:
    import jwt  # here, not at import: PyJWT loads cryptography, which public routes never need

    options: Any = {"require": ["exp", "sub"]}
    try:
        if user_pool_id:
            region = user_pool_id.split("_", 1)[0]
            issuer = f"https://cognito-idp.{region}.amazonaws.com/{user_pool_id}"
            signing_key = _jwks_client(f"{issuer}/.well-known/jwks.json").get_signing_key_from_jwt(token)
            # ID tokens carry the app client in ``aud``, access tokens in ``client_id``: check both below.
            claims = jwt.decode(
                token,
                signing_key.key,
                algorithms=["RS256"],
                issuer=issuer,
                options={**options, "verify_aud": False},
                leeway=LEEWAY_SECONDS,
            )
            if claims.get("token_use") not in ("id", "access"):
                raise Unauthenticated("The token is neither a Cognito ID nor access token.")
            if client_id and client_id not in (
                claims.get("aud"),
                claims.get("client_id"),
            ):
                raise Unauthenticated("The token was issued for another client.")
            return claims
        if not is_local and secret == DEFAULT_JWT_SECRET:
            # A cloud stage without its user pool configured must not fall back to the secret
            # everyone can read in the README.
            raise Unavailable("Sign-in is not configured for this stage.")
        return jwt.decode(token, secret, algorithms=["HS256"], options=options, leeway=LEEWAY_SECONDS)
    except jwt.ExpiredSignatureError:
        raise Unauthenticated("The token has expired.")
    except (jwt.PyJWTError, ValueError) as error:
        raise Unauthenticated(f"The token is not valid: {error}.")


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    user_id = claims.get("sub")
    org_id = claims.get("org") or claims.get("custom:org")
    role = claims.get("role")
    if role is None:
        groups = claims.get("cognito:groups") or []
        role = next((r for r in _ROLE_PRIORITY if r in groups), None)
    if not isinstance(user_id, str) or not user_id:
        raise Unauthenticated("The token names no user (sub).")
    if not isinstance(org_id, str) or not org_id:
        raise Unauthenticated("The token names no organisation (org).")
    if role not in ROLES:
        raise Unauthenticated("The token carries no known role (rep, manager or admin).")
    # Both ids become parts of DynamoDB keys: bounded like path ids, so an oversized or odd claim
    # is a 401 here, not a key-size error from the store.
    if not IDENTIFIER.fullmatch(user_id):
        raise Unauthenticated("The token's user id (sub) must be 1 to 128 letters, digits or _.:-")
    if not IDENTIFIER.fullmatch(org_id):
        raise Unauthenticated("The token's organisation (org) must be 1 to 128 letters, digits or _.:-")
    return Principal(user_id=user_id, org_id=org_id, role=role)


def issue_local_token(*, secret: str, user_id: str, org_id: str, role: Role, expires_at: int) -> str:
    """An HS256 token as the local stack and tests use; never used with Cognito."""
    import jwt

    return jwt.encode({"sub": user_id, "org": org_id, "role": role, "exp": expires_at}, secret, algorithm="HS256")
