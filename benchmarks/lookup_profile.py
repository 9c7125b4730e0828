"""Where a public lookup's time goes, in one process: requests through Django's WSGI handler.

    .venv/bin/python benchmarks/public_pages.py --pages lookup --keep   # loads the database
    .venv/bin/python benchmarks/lookup_profile.py                       # then, any number of times
    .venv/bin/python benchmarks/lookup_profile.py --profile 40 --src /tmp/old/src
    .venv/bin/python benchmarks/lookup_profile.py --floor                # the floor app, alike

wrk through gunicorn says how fast; this says why, without the noise of a shared machine's
scheduler: the lookup paths that `public_pages.py --keep` left (var/bench/public_pages/
paths.json, its database bench_public_pages) are served by `WSGIHandler` in this process,
with the settings the benchmark's gunicorn has (DEBUG off, the rate limits counting in
Redis with their limits raised, every middleware). JSON lines:

- `handler`: microseconds per request through the whole handler (the best of --repeat runs of
  --requests requests: the least disturbed by whatever else the machine does);
- `middleware`: each middleware's own microseconds per request (a timer around every layer
  of the chain; a layer's own time is its time less the layer inside it), the innermost
  `urls+view` being URL resolution and the view — what each costs on this path, to decide
  what to make cheaper, not what to drop; `url_resolution`: resolving the path alone;
- with --profile N, cProfile's top N functions by cumulative time, on stderr.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from onestop_lifecycle import emit, shared_cache  # noqa: E402
from public_pages import served_env  # noqa: E402


def configure(name: str, src: str, cache_url: str, floor: bool = False) -> None:
    """The environment of public_pages.py's tinhso gunicorn (or of its floor), then Django."""
    os.environ.update(
        {
            **served_env(name),
            "DJANGO_SETTINGS_MODULE": "floor.settings" if floor else "tinhso.settings",
            "CACHE_URL": shared_cache(cache_url),
            "REDIS_URL": "",
        }
    )
    sys.path.insert(0, str(HERE) if floor else src)
    import django

    django.setup()


def environ(path: str) -> dict:
    from django.test.client import FakePayload

    route, _, query = path.partition("?")
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "SCRIPT_NAME": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": FakePayload(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def run(handler, paths: list[str], n: int) -> float:
    """Seconds for n requests (the body read and closed, as gunicorn does)."""
    statuses: list[str] = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)

    started = time.perf_counter()
    for k in range(n):
        body = handler(environ(paths[k % len(paths)]), start_response)
        b"".join(body)
        body.close()
    elapsed = time.perf_counter() - started
    bad = [s for s in statuses if not s.startswith(("200", "404"))]
    if bad:
        raise SystemExit(f"unexpected answers: {bad[:5]}")
    return elapsed


class Layers:
    """Inclusive time of each middleware layer (and of the innermost: URL resolution and
    the view), by a timer around each: a layer's own cost is its time less the layers it
    calls. A layer that owns a handler of its own (HotPathMiddleware's shorter chain for
    the hot paths) calls that chain too; its layers are named with " (hot)"."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.inner: dict[str, list[str]] = {}  # layer -> the layers it may call
        self.building: list[list[str]] = []  # chains being built, innermost layer first

    def wrap(self, get_response, layer):
        if getattr(get_response, "__name__", "") == "_get_response":  # a handler's innermost
            self.building.append([])
            name = "urls+view"
        else:
            name = type(get_response).__name__
        nested = None
        if getattr(get_response, "handler", None) is not None:
            nested = self.building.pop()  # the chain its own handler built just before
        chain = self.building[-1]
        if len(self.building) > 1:
            name = f"{name} (hot)"
        self.inner[name] = [chain[-1]] if chain else []
        if nested:
            self.inner[name].append(nested[-1])
        chain.append(name)
        self.seconds[name] = 0.0

        def timed(request):
            started = time.perf_counter()
            try:
                return layer(request)
            finally:
                self.seconds[name] += time.perf_counter() - started

        return timed

    def own_us(self, requests: int) -> dict[str, float]:
        own = {}
        for name, seconds in self.seconds.items():
            spent = seconds - sum(self.seconds[inner] for inner in self.inner[name])
            if seconds:
                own[name] = round(spent / requests * 1e6, 1)
        return own


def timed_handler():
    """A WSGIHandler whose every middleware layer is timed (`Layers`)."""
    from django.core.handlers import base
    from django.core.handlers.wsgi import WSGIHandler

    layers = Layers()
    original = base.convert_exception_to_response

    def convert(get_response):
        return layers.wrap(get_response, original(get_response))

    base.convert_exception_to_response = convert
    try:
        handler = WSGIHandler()
    finally:
        base.convert_exception_to_response = original
    return handler, layers


def _settings():
    from django.conf import settings

    return settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--name", default="public_pages", help="the benchmark's database/var name")
    parser.add_argument("--requests", type=int, default=3000, help="requests per run")
    parser.add_argument("--repeat", type=int, default=5, help="runs; the best one counts")
    parser.add_argument("--profile", type=int, default=0, help="print cProfile's top N")
    parser.add_argument("--no-middleware", action="store_true", help="skip the per-layer timing")
    parser.add_argument("--src", default=str(ROOT / "src"), help="profile this source tree")
    parser.add_argument("--floor", action="store_true", help="profile the floor app instead")
    parser.add_argument("--cache", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
    args = parser.parse_args()
    paths = json.loads((ROOT / "var" / "bench" / args.name / "paths.json").read_text())["lookup"]
    configure(args.name, args.src, args.cache, floor=args.floor)
    from django.core.handlers.wsgi import WSGIHandler

    handler = WSGIHandler()
    run(handler, paths, 500)  # connections, imports, caches
    best = min(run(handler, paths, args.requests) for _ in range(args.repeat))
    emit(
        what="handler",
        src="floor" if args.floor else args.src,
        requests=args.requests,
        us_per_request=round(best / args.requests * 1e6, 1),
        load=os.getloadavg()[0],
    )
    if not args.no_middleware:
        timed, layers = timed_handler()
        run(timed, paths, 200)
        layers.seconds = dict.fromkeys(layers.seconds, 0.0)
        run(timed, paths, args.requests)
        emit(what="middleware", us_per_request_own=layers.own_us(args.requests))
        from django.urls import get_resolver

        resolver = get_resolver()
        route = paths[0].partition("?")[0]
        started = time.perf_counter()
        for _ in range(args.requests):
            resolver.resolve(route)
        emit(
            what="url_resolution",
            us_per_request=round((time.perf_counter() - started) / args.requests * 1e6, 1),
        )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        run(handler, paths, args.requests)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(args.profile)
        stats.sort_stats("tottime").print_stats(args.profile)
        print(out.getvalue(), file=sys.stderr)


if __name__ == "__main__":
    main()
