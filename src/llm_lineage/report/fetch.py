"""A GET of JSON that stays bounded whatever the server does (the Marquez client's transport).

A report reads a server it may not control, so every request is held to limits, each named in
the error it raises:

- the origin: a redirect is followed only within the scheme, host and port given (at most
  MAX_REDIRECTS); a redirect elsewhere is an error, never a request to that host;
- the body: at most MAX_BODY_BYTES per response, decompressed, counted while it is read (and a
  larger ``Content-Length`` refused before);
- the time: ``timeout`` per connect or read, and ``max_time`` for all requests together. A
  server that sends a byte now and then never trips a read timeout, so each request runs on a
  daemon thread that the caller stops waiting for at the deadline.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests

from llm_lineage.common.errors import LlmLineageError

MAX_BODY_BYTES = 64 * 2**20
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_T = TypeVar("_T")


class FetchError(LlmLineageError):
    """A response broke a limit, or was not a JSON answer (status, body)."""


def origin(url: str) -> tuple[str, str, int | None]:
    """Scheme, host and port, as a browser compares origins (default ports made explicit)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return (
        scheme,
        (parts.hostname or "").lower(),
        parts.port or {"http": 80, "https": 443}.get(scheme),
    )


class Fetcher:
    """GETs of JSON from the origin of ``base``, within ``timeout`` each and ``max_time`` in all."""

    def __init__(self, base: str, timeout: float, max_time: float) -> None:
        self.origin = origin(base)
        self.timeout = timeout
        self.max_time = max_time
        self.deadline = time.monotonic() + max_time
        self.session = requests.Session()

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> tuple[Any, bytes]:
        """The parsed body and its digest (to tell a repeated page). Raises ``FetchError``, or
        ``requests.RequestException`` when the server cannot be reached."""
        body = self._within(lambda: self._get(url, params))
        try:
            value = json.loads(body)
        except (ValueError, RecursionError) as error:
            raise FetchError(f"GET {url}: not JSON") from error
        return value, hashlib.sha256(body).digest()

    def _left(self) -> float:
        return self.deadline - time.monotonic()

    def _late(self) -> FetchError:
        return FetchError(
            f"reading {self._base_url()} took longer than the time limit "
            f"(--max-time {self.max_time:g} s for all requests); stopped"
        )

    def _base_url(self) -> str:
        scheme, host, port = self.origin
        return f"{scheme}://{host}:{port}"

    def _within(self, call: Callable[[], _T]) -> _T:
        """``call()`` on a daemon thread, waited for until the deadline at most."""
        if self._left() <= 0:
            raise self._late()
        box: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["value"] = call()
            except BaseException as error:  # handed to the caller below
                box["error"] = error
            finally:
                done.set()

        threading.Thread(target=work, name="llm-lineage-fetch", daemon=True).start()
        if not done.wait(max(self._left(), 0)):
            self.session.close()
            raise self._late()
        if "error" in box:
            raise box["error"]
        return box["value"]

    def _get(self, url: str, params: Mapping[str, Any] | None) -> bytes:
        for _ in range(MAX_REDIRECTS + 1):
            timeout = max(min(self.timeout, self._left()), 0.001)
            with self.session.get(
                url, params=params, timeout=timeout, stream=True, allow_redirects=False
            ) as response:
                if not response.is_redirect:
                    if response.status_code != 200:
                        raise FetchError(f"GET {url}: HTTP {response.status_code}")
                    return self._body(response, url)
                target = urljoin(response.url, response.headers.get("location", ""))
            if origin(target) != self.origin:
                raise FetchError(
                    f"GET {url}: redirected to {target}, another host; the report reads only "
                    f"{self._base_url()} (give the URL it redirects to, if you trust it)"
                )
            url, params = target, None
        raise FetchError(f"GET {url}: more than {MAX_REDIRECTS} redirects (MAX_REDIRECTS)")

    def _body(self, response: requests.Response, url: str) -> bytes:
        limit = f"the {MAX_BODY_BYTES // 2**20} MiB limit per response (MAX_BODY_BYTES)"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise FetchError(f"GET {url}: a body of {int(declared):,} bytes is over {limit}")
        chunks, size = [], 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise FetchError(f"GET {url}: the body is over {limit}")
            if self._left() <= 0:
                raise self._late()
            chunks.append(chunk)
        return b"".join(chunks)
