"""Database URLs as kpicli shows and checks them: redaction and the no-secrets rule.

Pure string functions (no I/O, no drivers), shared by the reader (kpicli.readers.sql_source) and
the validation rule M207 (kpicli.engine.rules).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

__all__ = ["SCHEMES", "is_url", "redact", "url_problem"]

SCHEMES = {"duckdb": "duckdb", "postgresql": "postgres", "postgres": "postgres"}
# Query parameters that carry a secret (libpq's and the usual driver spellings).
_SECRET_PARAMS = {
    "password", "pass", "pwd", "passwd", "sslpassword", "secret", "token", "access_token",
    "api_key", "apikey", "key", "private_key", "client_secret",
}


def is_url(text: object) -> bool:
    return isinstance(text, str) and bool(re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text))


def redact(url: str) -> str:
    """The URL as shown in messages: scheme, user, host, port, database; no password or
    query parameters (``postgresql://analytics@db:5432/warehouse``)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        user = f"{parts.username}@" if parts.username else ""
        return f"{parts.scheme}://{user}{host}{parts.path}"
    except ValueError:
        return url.split("://", 1)[0] + "://…"


def url_problem(url: str) -> str | None:
    """Why a URL must not be used (a password or secret in it), or None."""
    try:
        parts = urlsplit(url)
        password = parts.password
        params = [k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)]
    except ValueError:
        return f"{redact(url)} is not a valid URL"
    if parts.scheme.lower() not in SCHEMES:
        return (
            f"{redact(url)}: unsupported database {parts.scheme!r}; kpicli reads duckdb:///file.duckdb "
            "and postgresql://user@host:port/db"
        )
    secret = sorted(set(params) & _SECRET_PARAMS)
    if password is not None or secret:
        what = "a password" if password is not None else f"the secret parameter {secret[0]!r}"
        return (
            f"the data URL {redact(url)} holds {what}; never put credentials in a KPI file or "
            "on the command line: use PGPASSWORD, ~/.pgpass or PGSERVICE (the engine's own "
            "credential sources)"
        )
    return None
