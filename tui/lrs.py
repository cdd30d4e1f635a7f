"""Send xAPI statements to a learning record store (`escalate report --format xapi --lrs`).

xAPI 1.0.3: POST to the LRS's ``statements`` resource with the version header and HTTP
Basic credentials. Credentials come from the environment, never from the command line
(where they would sit in shell history and the process list).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from typing import Any

KEY_ENV = "ESCALATE_LRS_KEY"
SECRET_ENV = "ESCALATE_LRS_SECRET"
XAPI_VERSION = "1.0.3"


class LrsError(Exception):
    """Why the statement was not stored, in words for the person running the command."""


def statements_url(endpoint: str) -> str:
    """The statements resource under an LRS endpoint ("https://lrs.example/xapi/")."""
    if not endpoint.startswith(("http://", "https://")):
        raise LrsError(f"--lrs expects an http:// or https:// endpoint, got '{endpoint}'")
    return endpoint.rstrip("/") + "/statements"


def credentials(environ: dict[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    key, secret = env.get(KEY_ENV), env.get(SECRET_ENV)
    if not key or not secret:
        raise LrsError(f"set ${KEY_ENV} and ${SECRET_ENV} to the LRS's key and secret")
    return base64.b64encode(f"{key}:{secret}".encode()).decode("ascii")


def send(statement: dict[str, Any], endpoint: str, timeout: float = 20.0,
         environ: dict[str, str] | None = None) -> list[str]:
    """POST one statement; the ids the LRS stored it under."""
    request = urllib.request.Request(
        statements_url(endpoint), data=json.dumps(statement).encode("utf-8"), method="POST",
        headers={"Content-Type": "application/json",
                 "X-Experience-API-Version": XAPI_VERSION,
                 "Authorization": f"Basic {credentials(environ)}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace").strip()[:200]
        raise LrsError(f"the LRS refused the statement: HTTP {exc.code} {exc.reason}"
                       + (f" ({detail})" if detail else "")) from exc
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise LrsError(f"cannot reach the LRS at {endpoint}: {reason}") from exc
    try:
        ids = json.loads(body)
    except json.JSONDecodeError:
        return []
    return [str(i) for i in ids] if isinstance(ids, list) else []
