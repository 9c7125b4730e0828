"""Run pyHanko's coroutines from synchronous code, even when the calling thread already
runs an event loop (an async server, Playwright in tests): then in a worker thread."""

from __future__ import annotations

import asyncio
import concurrent.futures


def run(coro):
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
