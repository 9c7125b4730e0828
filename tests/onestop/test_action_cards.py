"""The action cards written in Python (`{% action_card %}`, onestop_actions) are the markup
the template they replaced wrote, for every card an official's dossier page offers across
the states of a dossier's life, in Vietnamese and in English."""

from __future__ import annotations

import re

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.template import engines
from django.test import RequestFactory
from django.utils import translation

from tinhso.onestop import services
from tinhso.onestop.views.dossier import dossier_context

from .conftest import at_last_step, submit

pytestmark = pytest.mark.django_db

# onestop/_action.html, as it was
TEMPLATE = """{% load i18n %}{% with action=card.action form=card.form %}
<form method="post" enctype="multipart/form-data" action="{% url 'onestop:official_action' dossier.uid action.name %}" class="card h-100 action-{{ action.name }}{% if primary %} border-{{ action.style|cut:'outline-' }} border-2{% endif %}"{% if action.style == "outline-danger" %} data-confirm="{% translate 'Xác nhận thao tác này?' %}"{% endif %}>{% csrf_token %}
<input type="hidden" name="version" value="{{ dossier.version }}">
<div class="card-body">
  <h3 class="{% if primary %}h5{% else %}h6{% endif %}">{{ action.label }}</h3>
  {% if action.help %}<p class="small">{{ action.help }}</p>{% endif %}
  {% for field in form %}
    {% if field.is_hidden %}{{ field }}{% else %}
    <div class="mb-2">
      <label class="form-label small" for="{{ field.id_for_label }}">{{ field.label }}</label>
      {{ field }}
      {% if field.help_text %}<div class="form-text">{{ field.help_text }}</div>{% endif %}
    </div>
    {% endif %}
  {% endfor %}
  <button class="btn btn-{{ action.style }}" type="submit">{{ action.button|default:action.label }}</button>
</div></form>{% endwith %}"""  # noqa: E501
TAG = "{% load onestop_actions %}{% action_card card primary %}"
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


def _normal(html: str) -> str:
    html = TOKEN.sub('name="csrfmiddlewaretoken" value=""', html)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


def _cards(user, dossier) -> list[tuple[dict, bool, dict]]:
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    context = dossier_context(request, dossier)
    cards = [(context["primary_action"], True)] if context["primary_action"] else []
    cards += [(card, False) for card in context["other_actions"]]
    return [(card, primary, {"request": request, "dossier": dossier}) for card, primary in cards]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_card_is_the_markup_the_template_wrote(world, language):
    w = world
    fresh = submit(w)
    accepted = services.accept_dossier(officer=w.officer, dossier=submit(w))
    last = at_last_step(w)
    seen = set()
    with translation.override(language):
        for user, dossier in ((w.officer, fresh), (w.officer, accepted), (w.leader, last)):
            for card, primary, extra in _cards(user, dossier):
                engine = engines["django"]
                context = {"card": card, "primary": primary, **extra}
                request = extra["request"]
                old = engine.from_string(TEMPLATE).render(context, request)
                new = engine.from_string(TAG).render(context, request)
                assert _normal(new) == _normal(old), card["action"].name
                seen.add(card["action"].name)
    # cards with people to choose, reasons, a file, a danger confirmation are among them
    assert {"accept", "forward", "refuse"} <= seen and len(seen) >= 8
