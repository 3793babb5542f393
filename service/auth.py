"""API-key authentication for the read and model endpoints.

A key may come as ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``. It is compared with
``hmac.compare_digest`` against *every* configured key (no early exit), so response timing reveals
neither which key nor how much of one matched. Health and metrics endpoints do not use this.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from service.problems import Problem

bearer_scheme = HTTPBearer(auto_error=False, description="`Authorization: Bearer <key>`")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="`X-API-Key: <key>`")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="checkocr"'}
INVALID_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="checkocr", error="invalid_token"'}


def key_is_valid(candidate: str, keys: list[bytes]) -> bool:
    offered = candidate.encode()
    valid = False
    for key in keys:
        valid |= hmac.compare_digest(offered, key)
    return valid


async def require_api_key(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    header_key: Annotated[str | None, Depends(api_key_scheme)],
) -> None:
    keys: list[bytes] = request.app.state.api_keys
    if not keys:
        return
    offered = bearer.credentials if bearer is not None else header_key
    if not offered:
        raise Problem(
            401,
            "an API key is required: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
            headers=CHALLENGE,
        )
    if not key_is_valid(offered, keys):
        raise Problem(401, "the API key is not valid", headers=INVALID_CHALLENGE)


ApiKey = Depends(require_api_key)
