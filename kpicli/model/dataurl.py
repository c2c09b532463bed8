"""Database URLs as kpicli shows and checks them: redaction and the no-secrets rule.

Pure string functions (no I/O, no drivers), shared by the reader (kpicli.readers.sql_source) and
the validation rule M207 (kpicli.engine.rules).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

__all__ = ["SCHEMES", "is_url", "redact", "spark_master", "url_problem"]

# URL scheme -> engine. Spark keeps Spark's own spellings: ``spark://host:7077`` is a
# standalone cluster's master URL and ``sc://host:15002`` a Spark Connect server; kpicli adds
# ``spark://local`` for a session in this process (local mode, every core).
SCHEMES = {
    "duckdb": "duckdb", "postgresql": "postgres", "postgres": "postgres",
    "spark": "spark", "sc": "spark",
}
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
        # Spark Connect puts its parameters after ';' in the path (sc://host/;token=...).
        path = parts.path.split(";", 1)[0]
        return f"{parts.scheme}://{user}{host}{path}"
    except ValueError:
        return url.split("://", 1)[0] + "://…"


def url_problem(url: str) -> str | None:
    """Why a URL must not be used (a password or secret in it), or None."""
    try:
        parts = urlsplit(url)
        password = parts.password
        params = [k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)]
        params += [p.split("=", 1)[0].strip().lower() for p in parts.path.split(";")[1:]]
        host, port = parts.hostname, parts.port
    except ValueError:
        return f"{redact(url)} is not a valid URL"
    if parts.scheme.lower() not in SCHEMES:
        return (
            f"{redact(url)}: unsupported database {parts.scheme!r}; kpicli reads duckdb:///file.duckdb, "
            "postgresql://user@host:port/db, spark://local, spark://host:7077 and "
            "sc://host:15002 (Spark Connect)"
        )
    secret = sorted(set(params) & _SECRET_PARAMS)
    if password is not None or secret:
        what = "a password" if password is not None else f"the secret parameter {secret[0]!r}"
        return (
            f"the data URL {redact(url)} holds {what}; never put credentials in a KPI file or "
            "on the command line: use PGPASSWORD, ~/.pgpass or PGSERVICE (the engine's own "
            "credential sources; SPARK_CONNECT_AUTHENTICATE_TOKEN for Spark Connect)"
        )
    if parts.scheme.lower() == "spark":
        if not host:
            return f"{redact(url)}: write spark://local, or a cluster's spark://host:7077"
        if host != "local" and not port:
            return f"{redact(url)}: a Spark master URL names its port (spark://host:7077)"
    return None


def spark_master(url: str) -> tuple[str, str]:
    """How to reach Spark for a checked URL: ("master", "local[*]" | "spark://host:port") for
    a session started by kpicli, or ("remote", "sc://host:port/;params") for Spark Connect."""
    parts = urlsplit(url)
    if parts.scheme.lower() == "sc":
        return "remote", url
    if parts.hostname == "local":
        return "master", "local[*]"
    return "master", f"spark://{parts.hostname}:{parts.port}"
