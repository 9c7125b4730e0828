"""Payment tests: a procedure with a fee; rate-limit counters start empty in each test."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def fee_world(world):
    world.procedure.fee_vnd = 200000
    world.procedure.save()
    return world
