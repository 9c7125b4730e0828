"""The services' notion of "now" (kept at this path; it lives in onestop/clock.py so that
modules the services import, such as payments, can read it without importing them)."""

from tinhso.onestop.clock import frozen, now  # noqa: F401
