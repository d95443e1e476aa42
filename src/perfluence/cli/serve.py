"""``perfluence serve``: run the web app and the tracking redirect.

uvicorn (uvloop + httptools, no access log, tracking redirects answered by
``perfluence.web.server.RedirectHttpProtocol`` before ASGI) is the default
server; the figures that chose it are in ``docs/performance.md``. SIGTERM or Ctrl-C stops
accepting connections, finishes the requests in flight, then the app's
lifespan drains the click buffer before the process exits.

``--role`` splits the work for scaling out (docs/deployment.md): ``tracker``
nodes answer only the tracking paths and write clicks, an ``app`` node serves
the dashboard, API and webhooks without a redirect or a click writer; ``all``
(the default) is one process doing both.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib
import os
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from perfluence.cli.console import cli_context, console
from perfluence.config import get_settings
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import database, tracking

# Import paths rather than imports: servers load them in each worker process.
APP_FACTORY = "perfluence.web.app:create_app"
TRACKER_FACTORY = "perfluence.web.app:create_tracker_app"
API_FACTORY = "perfluence.web.app:create_api_app"
# httptools, with tracking redirects answered before ASGI (see perfluence.web.server).
HTTP_PROTOCOL = "perfluence.web.server:RedirectHttpProtocol"


class Server(StrEnum):
    UVICORN = "uvicorn"
    GRANIAN = "granian"


class Role(StrEnum):
    ALL = "all"
    TRACKER = "tracker"
    APP = "app"


FACTORIES = {Role.ALL: APP_FACTORY, Role.TRACKER: TRACKER_FACTORY, Role.APP: API_FACTORY}


def serve(
    host: Annotated[
        str | None, typer.Option(help="Interface to bind (default: PERFLUENCE_HOST).")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on (default: PERFLUENCE_PORT).")
    ] = None,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (keep 1 on SQLite: one writer).")
    ] = 1,
    server: Annotated[Server, typer.Option(help="HTTP server to run the app in.")] = (
        Server.UVICORN
    ),
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated addresses of reverse proxies whose X-Forwarded-For and "
            "X-Forwarded-Proto are trusted (for example 127.0.0.1). Default: none.",
        ),
    ] = None,
    role: Annotated[
        Role,
        typer.Option(
            help="all: everything in one process; tracker: only the tracking links, "
            "/healthz and /t.js (scale these out on PostgreSQL); app: the dashboard, "
            "API and webhooks without the tracking links."
        ),
    ] = Role.ALL,
) -> None:
    """Serve the dashboard, the API and the tracking links."""
    settings = get_settings()
    bind_host = host or settings.host
    bind_port = port or settings.port
    with cli_context() as ctx:
        current, head = database.status(ctx)
        sqlite_file = tracking.sqlite_database_file(ctx)
    if current != head:
        raise PerfluenceError(
            ErrorCode.CONFIGURATION,
            f"database schema is at {current or 'nothing'}, not {head}; "
            "run 'perfluence db upgrade' (or 'perfluence init') first",
        )
    granian = _granian(forwarded_allow_ips) if server is Server.GRANIAN else None
    with contextlib.ExitStack() as held:
        if role is Role.TRACKER and sqlite_file is not None:
            held.enter_context(_only_click_writer(sqlite_file, workers))
        suffix = "" if role is Role.ALL else f", role {role.value}"
        console.print(
            f"perfluence on [bold]http://{bind_host}:{bind_port}[/] "
            f"({server.value}, {workers} worker{'s' if workers > 1 else ''}{suffix})"
        )
        _run(granian, FACTORIES[role], bind_host, bind_port, workers, forwarded_allow_ips)


def _run(
    granian: Any,
    factory: str,
    host: str,
    port: int,
    workers: int,
    forwarded_allow_ips: str | None,
) -> None:
    if granian is not None:
        granian.Granian(
            factory,
            factory=True,
            address=host,
            port=port,
            workers=workers,
            interface=granian.constants.Interfaces.ASGI,
            loop=granian.constants.Loops.uvloop,
            log_access=False,
        ).serve()
    else:
        _run_uvicorn(factory, host, port, workers, forwarded_allow_ips)


@contextlib.contextmanager
def _only_click_writer(sqlite_file: Path, workers: int) -> Iterator[None]:
    """Refuse a second click writer on one SQLite file; hold the claim while serving.

    SQLite has one writer, and the unique flag is decided by one process that
    sees every click. The claim is an exclusive lock on a file beside the
    database, which the operating system releases when the process ends.
    """
    if workers > 1:
        raise PerfluenceError(
            ErrorCode.CONFIGURATION,
            "--role tracker with several workers needs PostgreSQL: on SQLite only one "
            "process may write clicks (use --workers 1, or PERFLUENCE_DATABASE_URL="
            "postgresql+psycopg://...)",
        )
    lock_path = sqlite_file.with_name(sqlite_file.name + ".tracker.lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PerfluenceError(
                ErrorCode.CONFIGURATION,
                f"another tracker already writes clicks to {sqlite_file}; on SQLite only one "
                "process may (stop it, or use PostgreSQL for several tracking processes)",
            ) from None
        yield
    finally:
        os.close(fd)


def _run_uvicorn(
    factory: str, host: str, port: int, workers: int, forwarded_allow_ips: str | None
) -> None:
    import uvicorn  # noqa: PLC0415 - only the chosen server is imported

    uvicorn.run(
        factory,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http=HTTP_PROTOCOL,
        lifespan="on",
        access_log=False,
        # Off unless asked: trusting X-Forwarded-* from anyone lets clients choose their IP.
        proxy_headers=forwarded_allow_ips is not None,
        forwarded_allow_ips=forwarded_allow_ips,
        server_header=False,
    )


def _granian(forwarded_allow_ips: str | None) -> Any:
    """The granian package, or a clear error when it cannot be used."""
    if forwarded_allow_ips is not None:
        raise PerfluenceError(
            ErrorCode.CONFIGURATION,
            "--forwarded-allow-ips is supported with --server uvicorn only",
        )
    try:
        granian = importlib.import_module("granian")
        importlib.import_module("granian.constants")
    except ImportError as exc:
        raise PerfluenceError(
            ErrorCode.CONFIGURATION,
            "granian is not installed; 'pip install granian' or use --server uvicorn",
        ) from exc
    return granian
