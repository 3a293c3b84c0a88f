import time

import jwt
import pytest

from chalicelib.auth import issue_local_token, principal_from_claims, principal_from_header
from chalicelib.config import environment
from chalicelib.domain.errors import Unauthenticated


def _token(**claims):
    base = {"sub": "u1", "org": "o1", "role": "rep", "exp": int(time.time()) + 60}
    base.update(claims)
    return jwt.encode({k: v for k, v in base.items() if v is not None}, environment().jwt_secret, algorithm="HS256")


def test_valid_token_gives_principal():
    p = principal_from_header(f"Bearer {_token(role='manager')}", environment())
    assert (p.user_id, p.org_id, p.role) == ("u1", "o1", "manager")
    assert p.sees_whole_org


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Basic abc",
        "Bearer",
        "Bearer not.a.jwt",
    ],
)
def test_missing_or_malformed_header(header):
    with pytest.raises(Unauthenticated):
        principal_from_header(header, environment())


def test_expired_token():
    with pytest.raises(Unauthenticated, match="expired"):
        principal_from_header(f"Bearer {_token(exp=int(time.time()) - 3600)}", environment())


def test_forged_signature():
    forged = jwt.encode({"sub": "u1", "org": "o1", "role": "admin", "exp": int(time.time()) + 60}, "x" * 40, "HS256")
    with pytest.raises(Unauthenticated):
        principal_from_header(f"Bearer {forged}", environment())


def test_alg_none_is_refused():
    unsigned = jwt.encode({"sub": "u1", "org": "o1", "role": "admin", "exp": int(time.time()) + 60}, None, "none")
    with pytest.raises(Unauthenticated):
        principal_from_header(f"Bearer {unsigned}", environment())


@pytest.mark.parametrize("missing", ["sub", "exp"])
def test_required_claims(missing):
    with pytest.raises(Unauthenticated):
        principal_from_header(f"Bearer {_token(**{missing: None})}", environment())


@pytest.mark.parametrize("claims", [{"org": None}, {"role": "superuser"}, {"role": None}, {"org": "a#b"}])
def test_claims_must_name_org_and_known_role(claims):
    with pytest.raises(Unauthenticated):
        principal_from_header(f"Bearer {_token(**claims)}", environment())


def test_cognito_claims_map_org_and_highest_group():
    p = principal_from_claims({"sub": "u", "custom:org": "acme", "cognito:groups": ["rep", "manager"]})
    assert (p.org_id, p.role) == ("acme", "manager")


def test_local_tokens_round_trip():
    token = issue_local_token(
        secret=environment().jwt_secret, user_id="u9", org_id="o9", role="admin", expires_at=int(time.time()) + 60
    )
    assert principal_from_header(f"bearer {token}", environment()).is_admin


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the short published default
def test_a_cloud_stage_without_a_user_pool_never_accepts_the_published_default_secret():
    from dataclasses import replace

    from chalicelib.config import DEFAULT_JWT_SECRET
    from chalicelib.domain.errors import Unavailable

    token = jwt.encode(
        {"sub": "u1", "org": "o1", "role": "admin", "exp": int(time.time()) + 60}, DEFAULT_JWT_SECRET, algorithm="HS256"
    )
    cloud = replace(environment(), stage="prod", jwt_secret=DEFAULT_JWT_SECRET, cognito_user_pool_id=None)
    with pytest.raises(Unavailable):
        principal_from_header(f"Bearer {token}", cloud)
    local = replace(cloud, stage="local")
    assert principal_from_header(f"Bearer {token}", local).role == "admin"
    secret = "a-secret-of-its-own-at-least-32-bytes"
    own_secret = replace(cloud, jwt_secret=secret)
    own = jwt.encode({"sub": "u1", "org": "o1", "role": "rep", "exp": int(time.time()) + 60}, secret)
    assert principal_from_header(f"Bearer {own}", own_secret).role == "rep"


@pytest.mark.parametrize(
    "claims",
    [
        {"org": "o" * 2100},
        {"sub": "u" * 2100},
        {"org": "o" * 129},
        {"sub": "a b"},
        {"org": "acme/eu"},
        {"sub": "rep-1\n"},
        {"org": "ORG#x"},
    ],
)
def test_org_and_sub_are_bounded_like_path_ids(claims):
    with pytest.raises(Unauthenticated):
        principal_from_header(f"Bearer {_token(**claims)}", environment())


def test_the_longest_allowed_ids_are_accepted():
    p = principal_from_header(f"Bearer {_token(sub='u' * 128, org='acme.eu:1_a-b')}", environment())
    assert (len(p.user_id), p.org_id) == (128, "acme.eu:1_a-b")


def test_a_token_expired_31_seconds_ago_is_refused_and_10_seconds_ago_accepted():
    # The clock leeway (auth.LEEWAY_SECONDS) is 30 s: a token expired 31 s ago is past it whatever
    # fraction of a second has passed; one expired 10 s ago is inside it.
    with pytest.raises(Unauthenticated, match="expired"):
        principal_from_header(f"Bearer {_token(exp=int(time.time()) - 31)}", environment())
    p = principal_from_header(f"Bearer {_token(exp=int(time.time()) - 10)}", environment())
    assert p.user_id == "u1"


def test_a_verified_token_is_refused_once_it_expires_though_its_claims_are_kept(monkeypatch):
    token = _token(exp=int(time.time()) + 60)
    assert principal_from_header(f"Bearer {token}", environment()).user_id == "u1"  # verified and kept
    later = time.time() + 60 + 31  # past exp and the 30 s leeway
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(Unauthenticated, match="expired"):
        principal_from_header(f"Bearer {token}", environment())


def test_a_verified_token_is_checked_again_against_another_secret():
    from dataclasses import replace

    token = _token()
    assert principal_from_header(f"Bearer {token}", environment()).user_id == "u1"
    rotated = replace(environment(), jwt_secret="a-rotated-secret-of-at-least-32-bytes")
    with pytest.raises(Unauthenticated, match="not valid"):
        principal_from_header(f"Bearer {token}", rotated)


def test_kept_claims_are_a_copy_a_caller_cannot_alter():
    from chalicelib.auth import verify

    token = _token()
    verify(token, environment())["org"] = "other"
    assert principal_from_header(f"Bearer {token}", environment()).org_id == "o1"
