from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tinhso.workdays.services import Calendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.mark.django_db
def test_worked_example_five_days_across_tet_2026_ends_thursday_26_february():
    due = Calendar().add_working_days(datetime(2026, 2, 12, 9, 0, tzinfo=VN), 5)
    assert due == datetime(2026, 2, 26, 17, 0, tzinfo=VN)
