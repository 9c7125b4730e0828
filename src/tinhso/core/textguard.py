"""Every string a tinhso model stores is cleaned and measured here, once, before the write.

Whatever path a value took (HTML form, API, import, demo, admin), the row written to the
database holds clean text (`tinhso.core.text.clean_text`: NFC, no control characters) and
fits its field. SQLite would store 100,000 characters in a `max_length=255` column and
PostgreSQL would refuse it with an error page; both now answer the same
`TextTooLong` (code `text_too_long`, naming the field) and write nothing.

How: when the apps are ready, `install()` connects a `pre_save` signal receiver for the
models of the tinhso apps and wraps `Field.pre_save` of each of their CharField, TextField
and JSONField. The signal checks a `save()`/`create()` before Django opens its write (so a
refusal leaves the caller's transaction usable); the field hook is what Django calls for
each value it writes, `bulk_create()` included, so no ORM write goes around it. (Not
covered by itself: `QuerySet.update()` and `bulk_update()`, which write the values given as
they are — pass text from people through `guard_changes()` first, as the one-stop's
versioned `_transition` does.)

Limits:
- CharField: its `max_length`.
- TextField: its `max_length` if it declares one, else `TEXT_LIMITS`, else
  `DEFAULT_TEXT_MAX`. A value of None in `TEXT_LIMITS` means no limit (text the platform
  computes itself: search folds, certificates, encrypted secrets, message bodies).
- JSONField: every string inside (keys and values) is cleaned; `TEXT_LIMITS` may give a
  maximum for each string inside it; nesting deeper than `MAX_JSON_DEPTH` is refused.
- Fields in `TRUNCATE` are written by the platform from other values (a notification's
  subject line names a procedure): they are cut to fit instead of refusing the write.
"""

from __future__ import annotations

from functools import cache
from types import MethodType
from typing import Any

from django.apps import apps
from django.core import checks
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models.signals import pre_save
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from tinhso.core.errors import CoreErrorCode, ValidationFailed
from tinhso.core.text import MAX_JSON_DEPTH, JsonTooDeep, clean_json, clean_text, longest_string

DEFAULT_TEXT_MAX = 10_000
CATALOG_TEXT_MAX = 50_000

TEXT_LIMITS: dict[str, int | None] = {
    # A subject (trích yếu) is a sentence or two; the register prints it in one cell.
    "documents.IncomingDocument.subject": 2_000,
    "documents.OutgoingDocument.subject": 2_000,
    # Computed by the platform.
    "documents.IncomingDocument.subject_folded": None,
    "documents.IncomingDocument.text_folded": None,
    "documents.OutgoingDocument.subject_folded": None,
    "documents.OutgoingDocument.text_folded": None,
    "accounts.User.totp_secret_encrypted": None,
    "signing.CACertificate.certificate_pem": None,
    "signing.CACertificate.private_key_encrypted": None,
    "signing.Certificate.certificate_pem": None,
    "signing.Certificate.private_key_encrypted": None,
    "signing.Certificate.pkcs11_pin_encrypted": None,
    "signing.RemoteSigningSession.certificate_pem": None,
    "notify.Message.body": None,
    "notify.Message.last_error": None,
    "notify.SentMessage.body": None,
    # The procedure catalog (imported from the national catalog, long legal text).
    "onestop.Procedure.fee_note": CATALOG_TEXT_MAX,
    "onestop.Procedure.sequence_description": CATALOG_TEXT_MAX,
    "onestop.Procedure.conditions": CATALOG_TEXT_MAX,
    "onestop.Procedure.applicant_description": CATALOG_TEXT_MAX,
    "onestop.Procedure.legal_basis": CATALOG_TEXT_MAX,
    "onestop.Procedure.result_description": CATALOG_TEXT_MAX,
    # JSON: the maximum of each string inside.
    "onestop.Dossier.form_data": DEFAULT_TEXT_MAX,
    "onestop.SupplementRequest.items": 1_000,
}

TRUNCATE: frozenset[str] = frozenset(
    {
        "notify.Message.subject",
        "notify.SentMessage.subject",
        "notify.Message.related_object",
    }
)

# Fields whose text keeps line breaks and tabs: every TextField and JSONField, and these.
MULTILINE_CHARFIELDS: frozenset[str] = frozenset()

_GUARDED = "_tinhso_text_guard"


def _label(field: models.Field) -> str:
    return f"{field.model._meta.label}.{field.name}"


def field_limit(field: models.Field) -> int | None:
    """The maximum length of `field` (for a JSONField: of each string inside it)."""
    if isinstance(field, models.CharField):
        return field.max_length or TEXT_LIMITS.get(_label(field), DEFAULT_TEXT_MAX)
    if isinstance(field, models.TextField):
        if field.max_length:
            return field.max_length
        return TEXT_LIMITS.get(_label(field), DEFAULT_TEXT_MAX)
    return TEXT_LIMITS.get(_label(field))


def _field_name(field: models.Field) -> str:
    return capfirst(str(field.verbose_name or field.name))


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _too_long(field: models.Field, length: int, limit: int, path: str = "") -> ValidationFailed:
    details: dict[str, Any] = {"field": field.name, "length": length, "max_length": limit}
    if path:
        details["path"] = path
        message = _("«%(field)s», mục «%(path)s»: dài %(length)s ký tự, tối đa %(max)s ký tự.") % {
            "field": _field_name(field),
            "path": path,
            "length": _number(length),
            "max": _number(limit),
        }
    else:
        message = _("«%(field)s» dài %(length)s ký tự, tối đa %(max)s ký tự.") % {
            "field": _field_name(field),
            "length": _number(length),
            "max": _number(limit),
        }
    return ValidationFailed(message, code=CoreErrorCode.TEXT_TOO_LONG, details=details)


@cache
def _rules(field: models.Field) -> tuple[int | None, bool, bool]:
    """(limit, keeps line breaks, cut to fit) of a field: asked for each value written."""
    label = _label(field)
    multiline = isinstance(field, models.TextField) or label in MULTILINE_CHARFIELDS
    return field_limit(field), multiline, label in TRUNCATE


def guard_value(field: models.Field, value: Any) -> Any:
    """`value` cleaned for `field`; raises ValidationFailed (`text_too_long`,
    `json_too_deep`) when it cannot be stored."""
    if value is None:
        return value
    limit, multiline, truncate = _rules(field)
    if isinstance(field, models.JSONField):
        try:
            cleaned = clean_json(value)
        except JsonTooDeep:
            raise ValidationFailed(
                _("«%(field)s» lồng nhau quá %(depth)s cấp.")
                % {"field": _field_name(field), "depth": MAX_JSON_DEPTH},
                code=CoreErrorCode.JSON_TOO_DEEP,
                details={"field": field.name, "max_depth": MAX_JSON_DEPTH},
            ) from None
        if limit is not None:
            path, length = longest_string(cleaned)
            if length > limit:
                raise _too_long(field, length, limit, path or "…")
        return cleaned
    if not isinstance(value, str):
        return value  # a lazy translation or a number the field converts itself
    cleaned = clean_text(value, multiline=multiline)
    if limit is not None and len(cleaned) > limit:
        if truncate:
            return cleaned[: limit - 1] + "…"
        raise _too_long(field, len(cleaned), limit)
    return cleaned


def guard_changes(model: type[models.Model], changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` for `model.objects.filter(...).update(**changes)`, with every text value
    cleaned and measured like a save (expressions and other fields pass unchanged)."""
    by_name = {f.name: f for f in text_fields(model)}
    return {
        key: guard_value(by_name[key], value)
        if key in by_name and isinstance(value, str | dict | list)
        else value
        for key, value in changes.items()
    }


def _guarded_pre_save(self: models.Field, model_instance: models.Model, add: bool) -> Any:
    value = type(self).pre_save(self, model_instance, add)
    cleaned = guard_value(self, value)
    if cleaned is not value:
        setattr(model_instance, self.attname, cleaned)
    return cleaned


def _check_instance(
    sender: type[models.Model], instance: models.Model, raw: bool = False, **kwargs: Any
) -> None:
    if raw or not is_guarded(sender):
        return
    update_fields = kwargs.get("update_fields")
    for field in text_fields(sender):
        if update_fields is not None and field.name not in update_fields:
            continue
        value = getattr(instance, field.attname)
        cleaned = guard_value(field, value)
        if cleaned is not value:
            setattr(instance, field.attname, cleaned)


def is_guarded(model: type[models.Model]) -> bool:
    return model.__module__.startswith("tinhso.") and not model._meta.abstract


@cache
def text_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    return tuple(
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField)
    )


def install() -> None:
    """Guard the text fields of every tinhso model (once; idempotent)."""
    pre_save.connect(_check_instance, dispatch_uid="tinhso.core.textguard")
    for model in apps.get_models(include_auto_created=True):
        if not is_guarded(model):
            continue
        for field in text_fields(model):
            if getattr(field, _GUARDED, False):
                continue
            field.pre_save = MethodType(_guarded_pre_save, field)  # type: ignore[method-assign]
            setattr(field, _GUARDED, True)


@checks.register()
def check_text_limits(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every name in TEXT_LIMITS / TRUNCATE / MULTILINE_CHARFIELDS is a real text field."""
    errors: list[checks.CheckMessage] = []
    for label in [*TEXT_LIMITS, *TRUNCATE, *MULTILINE_CHARFIELDS]:
        model_label, _dot, field_name = label.rpartition(".")
        try:
            field = apps.get_model(model_label)._meta.get_field(field_name)
        except (LookupError, ValueError, FieldDoesNotExist):
            field = None
        if field is None or not isinstance(
            field, models.CharField | models.TextField | models.JSONField
        ):
            errors.append(
                checks.Error(
                    f"{label} in tinhso.core.textguard is not a text field of a model",
                    id="tinhso.E010",
                )
            )
    return errors
