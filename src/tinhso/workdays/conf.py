"""Tunables of the working-day calendar (rules a decree can change)."""

from datetime import time

from django.conf import settings

# Office hours: morning and afternoon half-days.
MORNING = (
    getattr(settings, "WORKDAYS_MORNING_START", time(7, 30)),
    getattr(settings, "WORKDAYS_MORNING_END", time(11, 30)),
)
AFTERNOON = (
    getattr(settings, "WORKDAYS_AFTERNOON_START", time(13, 0)),
    getattr(settings, "WORKDAYS_AFTERNOON_END", time(17, 0)),
)
# A dossier received after this hour is handed over on the next working day; when
# CUTOFF_SHIFTS_START is true the processing time also starts counting from then.
CUTOFF = getattr(settings, "WORKDAYS_CUTOFF", time(15, 0))
CUTOFF_SHIFTS_START = getattr(settings, "WORKDAYS_CUTOFF_SHIFTS_START", True)
