"""The cloud path of token verification: Cognito RS256 tokens checked against the pool's JWKS."""

from __future__ import annotations

import dataclasses
import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib import auth
from chalicelib.config import environment
from chalicelib.domain.errors import Unauthenticated

POOL = "eu-west-1_AbCdEf123"
ISSUER = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL}"
CLIENT = "client-abc"


@pytest.fixture
def pool_key(monkeypatch):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    class FakeJwks:
        def get_signing_key_from_jwt(self, token):
            return jwt.PyJWK.from_dict(
                {**jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key(), as_dict=True), "alg": "RS256"}
            )

    monkeypatch.setattr(
        auth, "_jwks_client", lambda url: FakeJwks() if url == f"{ISSUER}/.well-known/jwks.json" else None
    )
    return key


def _settings():
    return dataclasses.replace(environment(), cognito_user_pool_id=POOL, cognito_client_id=CLIENT)


def _id_token(key, **overrides):
    claims = {
        "sub": "user-1",
        "custom:org": "acme",
        "cognito:groups": ["rep"],
        "iss": ISSUER,
        "aud": CLIENT,
        "token_use": "id",
        "exp": int(time.time()) + 300,
    }
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, algorithm="RS256")


def test_cognito_id_token_is_accepted(pool_key):
    p = auth.principal_from_header(f"Bearer {_id_token(pool_key)}", _settings())
    assert (p.user_id, p.org_id, p.role) == ("user-1", "acme", "rep")


def test_access_token_uses_client_id_claim(pool_key):
    token = _id_token(pool_key, aud=None, client_id=CLIENT, token_use="access")
    assert auth.principal_from_header(f"Bearer {token}", _settings()).org_id == "acme"


@pytest.mark.parametrize(
    "overrides",
    [
        {"iss": "https://cognito-idp.eu-west-1.amazonaws.com/other-pool"},
        {"aud": "another-client"},
        {"exp": int(time.time()) - 3600},
        {"custom:org": None},
        {"cognito:groups": ["visitors"]},
    ],
)
def test_bad_cognito_tokens_are_refused(pool_key, overrides):
    with pytest.raises(Unauthenticated):
        auth.principal_from_header(f"Bearer {_id_token(pool_key, **overrides)}", _settings())


def test_hs256_token_is_refused_when_cognito_is_configured(pool_key):
    token = jwt.encode(
        {"sub": "u", "org": "o", "role": "admin", "exp": int(time.time()) + 60}, environment().jwt_secret
    )
    with pytest.raises(Unauthenticated):
        auth.principal_from_header(f"Bearer {token}", _settings())


def test_token_signed_by_another_key_is_refused(pool_key):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(Unauthenticated):
        auth.principal_from_header(f"Bearer {_id_token(stranger)}", _settings())
