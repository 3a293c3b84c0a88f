"""What the local stack changes in ``chalice local``'s stand-in for API Gateway: a path no route
matches is a 404 problem+json, as the cloud answers it (``infra/`` sets API Gateway's
MISSING_AUTHENTICATION_TOKEN response to the same problem). Unpatched, ``chalice local`` answers
403 ``{"message": "Missing Authentication Token"}``, which reads like a token problem. The errors
``http.server`` answers by itself (a method it has no handler for, such as TRACE; a malformed request
line; oversized headers) are problem+json too instead of its HTML page: a method no route has is a
405 on a known path and a 404 elsewhere, as the app answers ``PUT /health``.
"""

from __future__ import annotations

import functools
import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice.local import ChaliceRequestHandler, LocalDevServer, LocalGateway, LocalGatewayException, RouteMatcher

from chalicelib.api.problems import PROBLEM_JSON, from_status, problem_type


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

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """``http.server``'s own errors as problem+json (it calls this before any route runs)."""
        status, detail = int(code), message or HTTPStatus(code).phrase
        path = (getattr(self, "path", None) or "/").split("?", 1)[0]  # unset when the request line was bad
        if status == HTTPStatus.NOT_IMPLEMENTED:  # no do_<METHOD>: TRACE, CONNECT, any made-up verb
            try:
                self.local_gateway._routes.match_route(path)
                status, detail = 405, f"{self.command} is not allowed on {path[:200]}."
            except ValueError:
                status, detail = 404, str(not_found_problem(str(self.command), path)["detail"])
        self.log_error("code %d, message %s", status, detail)
        body = str(from_status(status, detail).body).encode()
        self.send_response(status)
        self.send_header("Content-Type", PROBLEM_JSON)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", self.local_gateway._cors_origin)
        self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def answer_unknown_routes_with_problems(server: LocalDevServer, app_object: Any, config: Any) -> None:
    """Swap the request handler of a server made by ``chalice.local.create_local_server``."""
    server.server.RequestHandlerClass = functools.partial(  # type: ignore[assignment]
        ProblemRequestHandler, app_object=app_object, config=config
    )
