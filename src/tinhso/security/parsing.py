"""Reading what sensors send: Wazuh 4.x alert JSON, Wazuh 5.x ECS findings, CEF, plain
JSON, and the syslog envelopes (RFC 5424, RFC 3164) around them.

Pure functions, no database: each returns a `Parsed` (the fields triage uses, plus the
raw text kept as received) or raises `IntakeRefused` with a stable code and a Vietnamese
reason. Unknown fields are kept in the raw text and otherwise ignored.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from dataclasses import dataclass, field
from typing import Any

from tinhso.core.parsers import MAX_JSON_DEPTH
from tinhso.security.errors import IntakeRefused, SecurityErrorCode

MAX_EVENT_BYTES = 64 * 1024


@dataclass
class Parsed:
    format: str  # Event.Format value
    raw: str
    source_event_id: str = ""
    occurred_at: dt.datetime | None = None
    level: int = 0
    scale: str = "wazuh"  # the scale `level` is on (SeverityBand.Scale)
    severity: str = ""  # given directly (tinhso's own events); else mapped from level
    rule_id: str = ""
    description: str = ""
    category: str = ""
    groups: list[str] = field(default_factory=list)
    agent_id: str = ""
    agent_name: str = ""
    host: str = ""
    src_ip: str | None = None
    user_name: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # other fields rules may match

    def field_value(self, name: str) -> Any:
        if name in _FIELDS:
            return getattr(self, name)
        return self.extra.get(name)


_FIELDS = {
    "format",
    "level",
    "severity",
    "rule_id",
    "description",
    "category",
    "groups",
    "agent_id",
    "agent_name",
    "host",
    "src_ip",
    "user_name",
    "source_event_id",
}


def _refuse(code: SecurityErrorCode, message: str) -> IntakeRefused:
    return IntakeRefused(message, code=code)


def _str(value: Any, limit: int) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    if isinstance(value, dict):
        return ""
    return str(value).replace("\x00", "")[:limit]


def _ip(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(str(value).strip()))
    except ValueError:
        return None


def _int(value: Any, lo: int = 0, hi: int = 16) -> int:
    try:
        number = int(float(str(value)))
    except (TypeError, ValueError):
        return lo
    return max(lo, min(hi, number))


_TZ_RE = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_time(value: Any) -> dt.datetime | None:
    """ISO 8601 as Wazuh writes it (`2021-12-29T05:34:56.382+0000`) or with `Z`."""
    if not value or not isinstance(value, str | int | float):
        return None
    if isinstance(value, int | float):
        try:
            return dt.datetime.fromtimestamp(float(value), tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    text = value.strip().replace("Z", "+00:00")
    text = _TZ_RE.sub(r"\1:\2", text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    if not (2000 <= moment.year <= 2100):
        return None
    return moment


def _get(obj: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(obj, dict):
            return None
        obj = obj.get(part)
    return obj


def _depth(value: Any, depth: int = 0) -> int:
    if depth > MAX_JSON_DEPTH:
        return depth
    if isinstance(value, dict):
        return max([_depth(v, depth + 1) for v in value.values()] or [depth + 1])
    if isinstance(value, list):
        return max([_depth(v, depth + 1) for v in value] or [depth + 1])
    return depth


def load_json_object(text: str) -> dict[str, Any]:
    if len(text.encode("utf-8", "replace")) > MAX_EVENT_BYTES:
        raise _refuse(
            SecurityErrorCode.EVENT_TOO_LARGE,
            f"Sự kiện vượt quá {MAX_EVENT_BYTES // 1024} KB.",
        )
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _refuse(SecurityErrorCode.MALFORMED_JSON, "Dữ liệu JSON không đọc được.") from exc
    if not isinstance(value, dict):
        raise _refuse(SecurityErrorCode.MALFORMED_JSON, "Mỗi sự kiện phải là một đối tượng JSON.")
    if _depth(value) > MAX_JSON_DEPTH:
        raise _refuse(SecurityErrorCode.MALFORMED_JSON, "Dữ liệu JSON lồng quá sâu.")
    return value


# ---------------------------------------------------------------------------------------
# JSON shapes


def from_json(obj: dict[str, Any], raw: str) -> Parsed:
    """A Wazuh 4.x alert, a Wazuh 5.x ECS finding (bare or as an indexer hit), or other
    JSON carrying at least a description or message."""
    if isinstance(obj.get("_source"), dict):  # an indexer search hit
        source_id = _str(obj.get("_id"), 120)
        parsed = from_json(obj["_source"], raw)
        parsed.source_event_id = parsed.source_event_id or source_id
        return parsed
    rule = obj.get("rule")
    if isinstance(rule, dict) and "level" in rule and "@timestamp" not in obj:
        return _wazuh4(obj, raw)
    if "@timestamp" in obj or isinstance(obj.get("event"), dict) or "wazuh" in obj:
        return _wazuh5(obj, raw)
    description = _str(obj.get("description") or obj.get("message") or obj.get("msg"), 500)
    if not description:
        raise _refuse(
            SecurityErrorCode.UNKNOWN_SHAPE,
            "Không nhận ra định dạng sự kiện (cần cảnh báo Wazuh 4.x, finding Wazuh 5.x "
            "hoặc JSON có trường description/message).",
        )
    return Parsed(
        format="json",
        raw=raw,
        source_event_id=_str(obj.get("id") or obj.get("event_id"), 120),
        occurred_at=parse_time(obj.get("timestamp") or obj.get("time")),
        level=_int(obj.get("level") or obj.get("severity"), 0, 16),
        description=description,
        category=_str(obj.get("category"), 60),
        host=_str(obj.get("host") or obj.get("hostname"), 120),
        src_ip=_ip(obj.get("src_ip") or obj.get("srcip")),
        user_name=_str(obj.get("user") or obj.get("username"), 150),
    )


def _category(groups: list[str]) -> str:
    for group in groups:
        if group not in {"syslog", "ossec", "local", "json", "wazuh"}:
            return group[:60]
    return groups[0][:60] if groups else ""


def _groups(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [g for g in re.split(r"[,|]", value) if g]
    if not isinstance(value, list):
        return []
    return [str(g)[:60] for g in value[:30] if isinstance(g, str | int)]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _wazuh4(obj: dict[str, Any], raw: str) -> Parsed:
    rule = _dict(obj.get("rule"))
    agent = _dict(obj.get("agent"))
    data = _dict(obj.get("data"))
    groups = _groups(rule.get("groups"))
    predecoder = _dict(obj.get("predecoder"))
    extra: dict[str, Any] = {
        "decoder": _str(_get(obj, "decoder.name"), 60),
        "location": _str(obj.get("location"), 200),
        "mitre": rule.get("mitre", {}).get("id", []) if isinstance(rule.get("mitre"), dict) else [],
        "dst_user": _str(data.get("dstuser"), 150),
        "url": _str(data.get("url"), 300),
    }
    return Parsed(
        format="wazuh4",
        raw=raw,
        source_event_id=_str(obj.get("id"), 120),
        occurred_at=parse_time(obj.get("timestamp")),
        level=_int(rule.get("level"), 0, 16),
        rule_id=_str(rule.get("id"), 40),
        description=_str(rule.get("description"), 500),
        category=_category(groups),
        groups=groups,
        agent_id=_str(agent.get("id"), 40),
        agent_name=_str(agent.get("name"), 120),
        host=_str(predecoder.get("hostname") or agent.get("name"), 120),
        src_ip=_ip(data.get("srcip") or data.get("src_ip")) or None,
        user_name=_str(data.get("srcuser") or data.get("dstuser") or data.get("user"), 150),
        extra={**extra, "agent_ip": _ip(agent.get("ip"))},
    )


def _wazuh5(obj: dict[str, Any], raw: str) -> Parsed:
    """ECS fields (`@timestamp`, `event.*`, `rule.*`, `agent.*`, `host.*`, `source.ip`,
    `user.name`, `message`) with Wazuh's own under `wazuh.*` (`wazuh.rule.level`…)."""
    event = _dict(obj.get("event"))
    level_value = (
        _get(obj, "wazuh.rule.level") if _get(obj, "wazuh.rule.level") is not None else None
    )
    if level_value is None:
        level_value = _get(obj, "rule.level")
    if level_value is None and event.get("severity") is not None:
        level_value = event.get("severity")
    groups = _groups(_get(obj, "wazuh.rule.groups") or _get(obj, "rule.category") or [])
    ecs_category = _groups(event.get("category"))
    description = _str(
        _get(obj, "rule.description")
        or _get(obj, "rule.name")
        or obj.get("message")
        or event.get("action"),
        500,
    )
    if not description and level_value is None:
        raise _refuse(
            SecurityErrorCode.UNKNOWN_SHAPE,
            "Finding Wazuh 5.x thiếu cả mô tả quy tắc (rule.description) lẫn mức độ.",
        )
    return Parsed(
        format="wazuh5",
        raw=raw,
        source_event_id=_str(event.get("id") or obj.get("id") or _get(obj, "wazuh.id"), 120),
        occurred_at=parse_time(obj.get("@timestamp") or event.get("created")),
        level=_int(level_value, 0, 16),
        rule_id=_str(_get(obj, "rule.id") or _get(obj, "wazuh.rule.id"), 40),
        description=description,
        category=_category(groups) or (ecs_category[0] if ecs_category else ""),
        groups=groups or ecs_category,
        agent_id=_str(_get(obj, "agent.id") or _get(obj, "wazuh.agent.id"), 40),
        agent_name=_str(_get(obj, "agent.name") or _get(obj, "wazuh.agent.name"), 120),
        host=_str(_get(obj, "host.name") or _get(obj, "host.hostname"), 120),
        src_ip=_ip(_get(obj, "source.ip")),
        user_name=_str(_get(obj, "user.name"), 150),
        extra={
            "agent_ip": _ip(_get(obj, "host.ip") or _get(obj, "agent.ip")),
            "outcome": _str(event.get("outcome"), 20),
            "url": _str(_get(obj, "url.original"), 300),
        },
    )


# ---------------------------------------------------------------------------------------
# CEF

_CEF_EXT_RE = re.compile(r"(\w[\w.\-\[\]]*)=((?:\\=|[^=])*?)(?=\s+\w[\w.\-\[\]]*=|\s*$)")


def _cef_split(header: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escape = False
    for char in header:
        if escape:
            current.append(char)
            escape = False
        elif char == "\\":
            escape = True
        elif char == "|" and len(parts) < 7:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def from_cef(text: str, raw: str) -> Parsed:
    """`CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|k=v k=v`."""
    start = text.find("CEF:")
    parts = _cef_split(text[start + 4 :])
    if len(parts) < 8:
        raise _refuse(SecurityErrorCode.MALFORMED_CEF, "Bản tin CEF phải có đủ 7 trường tiêu đề.")
    _version, vendor, product, _pver, signature, name, severity, ext = parts[:8]
    extension = {
        key: value.replace("\\=", "=").replace("\\\\", "\\").strip()
        for key, value in _CEF_EXT_RE.findall(ext)
    }
    is_wazuh = vendor.strip().lower() in {"wazuh", "ossec"}
    sev_text = severity.strip().lower()
    named = {"low": 2, "medium": 5, "high": 8, "very-high": 10, "very high": 10}
    if sev_text in named:
        level, scale = named[sev_text], "cef"
    else:
        level = _int(sev_text, 0, 16 if is_wazuh else 10)
        scale = "wazuh" if is_wazuh else "cef"
    groups = _groups(extension.get("cat", ""))
    return Parsed(
        format="cef",
        raw=raw,
        source_event_id=_str(extension.get("externalId") or extension.get("eventId"), 120),
        occurred_at=parse_time(extension.get("rt")) if extension.get("rt") else None,
        level=level,
        scale=scale,
        rule_id=signature.strip()[:40],
        description=name.strip()[:500],
        category=_category(groups) or product.strip()[:60].lower(),
        groups=groups,
        agent_name=_str(extension.get("dvchost") or extension.get("deviceExternalId"), 120),
        host=_str(extension.get("dvchost") or extension.get("shost"), 120),
        src_ip=_ip(extension.get("src")),
        user_name=_str(extension.get("suser") or extension.get("duser"), 150),
        extra={
            "vendor": vendor[:60],
            "product": product[:60],
            "agent_ip": _ip(extension.get("dvc")),
        },
    )


# ---------------------------------------------------------------------------------------
# Syslog

_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_RFC5424_RE = re.compile(
    r"^<(\d{1,3})>(\d{1,2}) (\S+) (\S+) (\S+) (\S+) (\S+) (-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (.*))?$",
    re.S,
)
_RFC3164_RE = re.compile(
    r"^<(\d{1,3})>([A-Z][a-z]{2}) {1,2}(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\S+) (.*)$", re.S
)


@dataclass
class SyslogMessage:
    priority: int
    hostname: str
    app: str
    timestamp: dt.datetime | None
    message: str


def parse_syslog(line: str, *, now: dt.datetime | None = None) -> SyslogMessage:
    line = line.rstrip("\r\n").lstrip("\ufeff")
    if not line.startswith("<"):
        raise _refuse(SecurityErrorCode.MALFORMED_SYSLOG, "Dòng syslog phải bắt đầu bằng <PRI>.")
    match = _RFC5424_RE.match(line)
    if match:
        pri, _version, stamp, host, app, _procid, _msgid, _sd, msg = match.groups()
        if int(pri) > 191:
            raise _refuse(
                SecurityErrorCode.MALFORMED_SYSLOG, "Giá trị PRI của syslog vượt quá 191."
            )
        return SyslogMessage(
            priority=int(pri),
            hostname="" if host == "-" else host[:120],
            app="" if app == "-" else app[:48],
            timestamp=None if stamp == "-" else parse_time(stamp),
            message=(msg or "").lstrip("\ufeff"),
        )
    match = _RFC3164_RE.match(line)
    if match:
        pri, mon, day, hh, mm, ss, host, rest = match.groups()
        if int(pri) > 191 or mon not in _MONTHS:
            raise _refuse(SecurityErrorCode.MALFORMED_SYSLOG, "Tiêu đề syslog RFC 3164 sai.")
        now = now or dt.datetime.now(dt.UTC)
        try:
            stamp = dt.datetime(
                now.year, _MONTHS[mon], int(day), int(hh), int(mm), int(ss), tzinfo=dt.UTC
            )
        except ValueError as exc:
            raise _refuse(SecurityErrorCode.MALFORMED_SYSLOG, "Thời điểm syslog sai.") from exc
        if stamp - now > dt.timedelta(days=2):  # December's message read in January
            stamp = stamp.replace(year=now.year - 1)
        app, _, message = rest.partition(": ")
        if not message:
            app, message = "", rest
        return SyslogMessage(
            priority=int(pri),
            hostname=host[:120],
            app=re.sub(r"\[\d+\]$", "", app)[:48],
            timestamp=stamp,
            message=message,
        )
    raise _refuse(
        SecurityErrorCode.MALFORMED_SYSLOG,
        "Dòng syslog không theo RFC 5424 hay RFC 3164.",
    )


_SYSLOG_SEVERITY_LEVEL = {0: 15, 1: 13, 2: 12, 3: 9, 4: 6, 5: 4, 6: 3, 7: 2}


def from_syslog(line: str) -> Parsed:
    """A syslog line whose message is JSON (e.g. Wazuh's `<syslog_output>` format=json) or
    CEF (format=cef), or plain text (kept with the syslog severity)."""
    if len(line.encode("utf-8", "replace")) > MAX_EVENT_BYTES:
        raise _refuse(
            SecurityErrorCode.EVENT_TOO_LARGE, f"Sự kiện vượt quá {MAX_EVENT_BYTES // 1024} KB."
        )
    message = parse_syslog(line)
    body = message.message.strip()
    brace = body.find("{")
    if body.startswith("CEF:") or "CEF:" in body[:80]:
        parsed = from_cef(body, line)
    elif body.startswith("{") or (brace != -1 and brace < 80 and body.endswith("}")):
        parsed = from_json(load_json_object(body[brace:]), line)
    else:
        if not body:
            raise _refuse(SecurityErrorCode.MALFORMED_SYSLOG, "Dòng syslog không có nội dung.")
        parsed = Parsed(
            format="json",
            raw=line,
            level=_SYSLOG_SEVERITY_LEVEL[message.priority % 8],
            description=body[:500],
            category=message.app.lower()[:60],
        )
    parsed.raw = line
    parsed.host = parsed.host or message.hostname
    parsed.occurred_at = parsed.occurred_at or message.timestamp
    return parsed


class FramingError(Exception):
    """The stream cannot be read on (a frame larger than allowed): close the connection."""


def split_frames(buffer: bytearray) -> list[bytes]:
    """Take the complete frames out of a TCP stream buffer (RFC 6587): octet-counting
    (`<len> <msg>`) or newline-delimited, decided per frame. What is incomplete stays.
    A frame larger than twice MAX_EVENT_BYTES raises FramingError (the sender is cut off:
    the stream cannot be resynchronised)."""
    frames: list[bytes] = []
    limit = MAX_EVENT_BYTES * 2
    while buffer:
        if buffer[:1].isdigit():
            space = buffer.find(b" ", 0, 12)
            if space == -1 and len(buffer) < 12:
                break
            if space != -1 and bytes(buffer[:space]).isdigit():
                length = int(bytes(buffer[:space]))
                if length > limit:
                    raise FramingError(length)
                if len(buffer) < space + 1 + length:
                    break
                frames.append(bytes(buffer[space + 1 : space + 1 + length]))
                del buffer[: space + 1 + length]
                continue
        newline = buffer.find(b"\n")
        if newline == -1:
            if len(buffer) > limit:
                raise FramingError(len(buffer))
            break
        frame = bytes(buffer[:newline]).rstrip(b"\r")
        del buffer[: newline + 1]
        if frame.strip():
            frames.append(frame)
    return frames
