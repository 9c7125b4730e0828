"""The queue's and "my dossiers"' rows written in Python (`onestop_rows`) are the bytes the
template rows they replaced wrote, for every branch a row has: no code yet, an assignee or
none, a step or none, overdue or not in each state, dates missing, a long procedure name,
text that must be escaped; in Vietnamese and in English, and under a script prefix."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from django.template import engines
from django.urls import clear_script_prefix, set_script_prefix
from django.utils import timezone, translation

from tinhso.accounts.models import User
from tinhso.onestop.models import Dossier, DossierState, Procedure, ProcessStep

# The rows as the templates wrote them before the tags (queue.html, my_dossiers.html).
QUEUE_ROW = (
    "{% with status=d.status_text %}<tr><td><a href=\"{% url 'onestop:dossier' d.uid %}\">"
    '{{ d.display_code }}</a>{% if not d.code %}<br><span class="small text-body-secondary">'
    '{% translate "mã theo dõi, chưa tiếp nhận" %}</span>{% endif %}</td><td>'
    "{{ d.procedure.name|truncatechars:80 }}</td><td>{{ d.applicant_name }}</td>"
    '<td class="text-nowrap">{{ d.submitted_at|date:"H:i d/m/Y" }}</td><td>{{ status.full }}'
    '</td><td>{{ status.step|default:"—" }}{% if d.assignee %} · {{ d.assignee }}{% endif %}'
    '</td><td class="text-nowrap">{% if d.due_at and d.due_at < now and d.state in '
    '"accepted processing paused" %}<strong class="text-danger">'
    '{{ d.due_at|date:"H:i d/m/Y" }} <span class="visually-hidden">({% translate "quá hạn" %})'
    '</span><span aria-hidden="true">⚠</span></strong>{% else %}'
    '{{ d.due_at|date:"H:i d/m/Y"|default:"—" }}{% endif %}</td></tr>{% endwith %}'
)
MY_ROW = (
    "<tr>{% with status=d.status_text %}<td><a href=\"{% url 'onestop:dossier' d.uid %}\">"
    "{{ d.display_code }}</a></td><td>{{ d.procedure.name }}</td>"
    '<td>{{ d.submitted_at|date:"d/m/Y" }}</td><td>{{ status.full }}</td>'
    '<td>{{ status.step|default:"—" }}</td>{% endwith %}'
    '<td>{{ d.due_at|date:"H:i d/m/Y"|default:"—" }}</td></tr>'
)


def _render(source: str, **context) -> str:
    return engines["django"].from_string("{% load i18n onestop_rows %}" + source).render(context)


def _dossiers() -> list[Dossier]:
    now = timezone.now()
    procedures = [
        Procedure(name="Cấp bản sao trích lục hộ tịch"),
        Procedure(name="Đăng ký kinh doanh hộ cá thể & <thay đổi> nội dung " * 3),  # > 80
    ]
    steps = [None, ProcessStep(pk=7, name="Thẩm định <hồ sơ> & trình ký")]
    people = [None, User(pk=3, username="cb01", full_name='Nguyễn Văn "B" <Chuyên viên>')]
    dues = [None, now - dt.timedelta(hours=3), now + dt.timedelta(days=2)]
    codes = [("", "TD-0001"), ("000.00.20.H99-261202-0001", "TD-0002")]
    rows = []
    for n, (state, procedure, step, person, due, (code, tracking)) in enumerate(
        itertools.product(DossierState.values, procedures, steps, people, dues, codes)
    ):
        rows.append(
            Dossier(
                uid=uuid.uuid4(),
                code=code,
                tracking_code=tracking,
                state=state,
                procedure=procedure,
                current_step=step,
                assignee=person,
                applicant_name="Trần Thị <C> & Cộng sự" if n % 2 else "Lê Văn D",
                submitted_at=None if n % 5 == 0 else now - dt.timedelta(days=n % 9),
                due_at=due,
            )
        )
    return rows


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_rows_written_in_python_are_the_template_rows(language):
    now = timezone.now()
    dossiers = _dossiers()
    assert len(dossiers) > 500
    with translation.override(language):
        for d in dossiers:
            assert _render("{% queue_row d now %}", d=d, now=now) == _render(
                QUEUE_ROW, d=d, now=now
            )
            assert _render("{% my_dossier_row d %}", d=d) == _render(MY_ROW, d=d)


def test_the_link_follows_the_script_prefix():
    d = _dossiers()[0]
    now = timezone.now()
    set_script_prefix("/tinh/")
    try:
        row = _render("{% queue_row d now %}", d=d, now=now)
        assert f'href="/tinh/onestop/ho-so/{d.uid}/"' in row
        assert row == _render(QUEUE_ROW, d=d, now=now)
    finally:
        clear_script_prefix()
