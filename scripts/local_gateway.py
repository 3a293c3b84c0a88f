"""What the local stack changes in ``chalice local``'s stand-in for API Gateway: a path no route
matches is a 404 problem+json, as the cloud answers it (``infra/`` sets API Gateway's
MISSING_AUTHENTICATION_TOKEN response to the same problem). Unpatched, ``chalice local`` answers
403 ``{"message": "Missing Authentication Token"}``, which reads like a token problem.
"""

from __future__ import annotations

import functools
import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice.local import ChaliceRequestHandler, LocalDevServer, LocalGateway, LocalGatewayException, RouteMatcher

from chalicelib.api.problems import PROBLEM_JSON, problem_type


class RouteNotFound(LocalGatewayException):
    CODE = 404


def not_found_problem(method: str, path: str) -> dict[str, Any]:
    """The body both the local stack and API Gateway send for a path no route matches."""
    return {
        "type": problem_type("not-found"),
        "title": "Not found",
        "status": 404,
        "detail": f"No route matches {method} {path.split('?', 1)[0][:200]}.",
    }


class ProblemGateway(LocalGateway):
    def __init__(self, app_object: Any, config: Any) -> None:
        super().__init__(app_object, config)
        self._routes = RouteMatcher(list(app_object.routes))
        self._cors_origin = getattr(app_object.api.cors, "allow_origin", "*")

    def handle_request(self, method: str, path: str, headers: Any, body: bytes | None) -> Any:
        try:
            self._routes.match_route(path)
        except ValueError:
            problem = json.dumps(not_found_problem(method, path)).encode()
            raise RouteNotFound(
                {"Content-Type": PROBLEM_JSON, "Access-Control-Allow-Origin": self._cors_origin}, problem
            ) from None
        return super().handle_request(method, path, headers, body)


class ProblemRequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Any, config: Any) -> None:
        # As ChaliceRequestHandler, with our gateway (the base class handles the request in __init__).
        self.local_gateway = ProblemGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)


def answer_unknown_routes_with_problems(server: LocalDevServer, app_object: Any, config: Any) -> None:
    """Swap the request handler of a server made by ``chalice.local.create_local_server``."""
    server.server.RequestHandlerClass = functools.partial(  # type: ignore[assignment]
        ProblemRequestHandler, app_object=app_object, config=config
    )
