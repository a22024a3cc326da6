"""GraphQL over HTTP (https://graphql.github.io/graphql-over-http/draft/): the media type of
each response, its status, and JSON bodies for requests refused before GraphQL runs them.

- `Accept: application/graphql-response+json` (preferred over or equal to application/json):
  a request error, where the response has no `data` entry (a document that does not parse
  or validate, a bound, an operation that cannot be chosen, variables that do not coerce),
  answers 4xx without `data`: 429 for RATE_LIMITED, 500 for INTERNAL, else 400.
  Everything that executes answers 200, also with field errors.
- `application/json`, `*/*` or no Accept header (legacy clients, GraphiQL): 200 with
  `data: null` for those request errors, as before.
- An Accept header that allows neither: 406.
- What strawberry refuses before execution as plain text (malformed JSON, a batch, no
  query, parameters of the wrong type) is JSON with `extensions.code` BAD_USER_INPUT (R22),
  status 400, in the negotiated media type, so GraphiQL and other clients can read it.

The draft of 2026 recommends 422 for validation failures and 294 for partial results; the
reference audit (the `graphql-http` package) still checks 400 and 200, which is what is
served here.
"""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.responses import Response
from strawberry.http import GraphQLRequestData
from strawberry.types.unset import UNSET

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
STATUS_OF_REQUEST_ERRORS = {"RATE_LIMITED": 429, "INTERNAL": 500}


def negotiate(accept: str | None) -> str | None:
    """The response's media type for an Accept header; None when it allows neither.

    Wildcards read as a legacy client's: application/json."""
    if not accept or not accept.strip():
        return JSON
    quality: dict[str, float] = {}
    for part in accept.split(","):
        media_type, *parameters = (piece.strip() for piece in part.split(";"))
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        quality[media_type.lower()] = max(q, quality.get(media_type.lower(), 0.0))
    graphql_response = quality.get(GRAPHQL_RESPONSE, 0.0)
    json_ = next((quality[t] for t in (JSON, "application/*", "*/*") if t in quality), 0.0)
    if graphql_response > 0 and graphql_response >= json_:
        return GRAPHQL_RESPONSE
    return JSON if json_ > 0 else None


def request_error(result: Any) -> bool:
    """No `data` entry: the request failed before execution (no error has a path)."""
    errors = result.errors or []
    return result.data is None and bool(errors) and all(error.path is None for error in errors)


def refusal(status: int, message: str, media_type: str, headers: dict[str, str] | None = None) -> Response:
    body = {"errors": [{"message": message, "extensions": {"code": "BAD_USER_INPUT"}}]}
    return Response(
        json.dumps(body),
        status_code=status,
        media_type=f"{media_type}; charset=utf-8",
        headers=headers,
    )


class GraphQLOverHTTP:
    """Mixed into strawberry's ASGI view, before it: `class App(GraphQLOverHTTP, GraphQL)`."""

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if self.is_websocket_request(request):  # type: ignore[attr-defined]
            return await super().run(request, context, root_value)  # type: ignore[misc]
        media_type = negotiate(request.headers.get("accept"))
        if media_type is None:
            if request.method == "POST":
                return refusal(406, f"Accept {GRAPHQL_RESPONSE} or {JSON}.", JSON)
            media_type = JSON  # GET serves GraphiQL to browsers
        state = request.scope.setdefault("state", {})
        state["media_type"] = media_type
        try:
            return await super().run(request, context, root_value)  # type: ignore[misc]
        except HTTPException as error:
            state["error_codes"] = ["BAD_USER_INPUT"]
            graphql_context = state.get("context")
            request_id = getattr(graphql_context, "request_id", None)
            headers = {"X-Request-ID": request_id} if request_id else None
            return refusal(error.status_code, error.reason, media_type, headers)

    async def parse_http_body(self, request: Any) -> Any:
        data = await super().parse_http_body(request)  # type: ignore[misc]
        if isinstance(data, GraphQLRequestData) and not isinstance(data.operation_name, str | None):
            raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null.")
        return data

    async def process_result(self, request: Any, result: Any) -> Any:
        body = await super().process_result(request, result)  # type: ignore[misc]
        state = request.scope.get("state", {})
        response = getattr(state.get("context"), "response", None)
        if response is None:
            return body
        response.media_type = state.get("media_type", JSON)
        if response.media_type == GRAPHQL_RESPONSE and request_error(result):
            body.pop("data", None)
            code = (result.errors[0].extensions or {}).get("code")
            response.status_code = STATUS_OF_REQUEST_ERRORS.get(code, 400)
        return body

    def create_response(self, response_data: Any, sub_response: Any) -> Response:
        response = super().create_response(response_data, sub_response)  # type: ignore[misc]
        response.headers["content-type"] = f"{sub_response.media_type or JSON}; charset=utf-8"
        return response
