"""Places: which commune contains a point (shapely, no system GIS), distances, boxes.

The communes' polygons are read once per process into prepared shapely geometries and
reloaded when an `Area` row changes (the newest `updated_at` is the cache key, read at
most every few seconds).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Any

from shapely import prepare
from shapely.geometry import Point, shape

from tinhso.core.errors import ValidationFailed
from tinhso.feedback.errors import FeedbackErrorCode as E

EARTH_M = 6_371_008.8
# Vietnam's extent, generously: anything outside is a typo, not a place.
LAT_RANGE = (5.0, 25.0)
LNG_RANGE = (100.0, 120.0)


@dataclass
class _Areas:
    key: Any
    checked: float
    rows: list[tuple[int, tuple[float, float, float, float], Any]]  # unit id, box, geom


_lock = threading.Lock()
_cache: _Areas | None = None


def geometry_of(data: Any):
    """A shapely geometry from a GeoJSON geometry dict (Polygon / MultiPolygon)."""
    from django.utils.translation import gettext as _

    try:
        geom = shape(data)
    except Exception as exc:  # noqa: BLE001 - any malformed input is the same error
        raise ValidationFailed(_("Ranh giới không hợp lệ."), code=E.INVALID_GEOJSON) from exc
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty or not geom.is_valid:
        raise ValidationFailed(_("Ranh giới không hợp lệ."), code=E.INVALID_GEOJSON)
    return geom


def _areas() -> _Areas:
    global _cache
    from django.db.models import Count, Max

    from tinhso.feedback.models import Area

    now = time.monotonic()
    current = _cache
    if current is not None and now - current.checked < 5:
        return current
    key = tuple(Area.objects.aggregate(m=Max("updated_at"), n=Count("id")).values())
    if current is not None and current.key == key:
        current.checked = now
        return current
    with _lock:
        rows = []
        for area in Area.objects.all():
            geom = shape(area.geometry)
            prepare(geom)
            rows.append(
                (area.admin_unit_id, (area.min_lat, area.max_lat, area.min_lng, area.max_lng), geom)
            )
        _cache = _Areas(key=key, checked=now, rows=rows)
        return _cache


def forget() -> None:
    global _cache
    _cache = None


def check_coordinates(lat: Any, lng: Any) -> tuple[float, float]:
    from django.utils.translation import gettext as _

    try:
        lat_f, lng_f = float(lat), float(lng)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(_("Tọa độ không hợp lệ."), code=E.INVALID_COORDINATES) from exc
    if not (
        math.isfinite(lat_f)
        and math.isfinite(lng_f)
        and LAT_RANGE[0] <= lat_f <= LAT_RANGE[1]
        and LNG_RANGE[0] <= lng_f <= LNG_RANGE[1]
    ):
        raise ValidationFailed(_("Vị trí nằm ngoài địa bàn tỉnh."), code=E.OUTSIDE_PROVINCE)
    return round(lat_f, 6), round(lng_f, 6)


def unit_at(lat: float, lng: float) -> int | None:
    """The id of the administrative unit whose polygon contains the point, or None."""
    point = Point(lng, lat)
    for unit_id, (lat0, lat1, lng0, lng1), geom in _areas().rows:
        if lat0 <= lat <= lat1 and lng0 <= lng <= lng1 and geom.covers(point):
            return unit_id
    return None


def representative_point(unit_id: int) -> tuple[float, float] | None:
    for row_unit, _box, geom in _areas().rows:
        if row_unit == unit_id:
            p = geom.representative_point()
            return round(p.y, 6), round(p.x, 6)
    return None


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(a)))


def box(lat: float, lng: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lng, max_lng) around the point, containing the circle."""
    dlat = math.degrees(radius_m / EARTH_M)
    dlng = dlat / max(0.01, math.cos(math.radians(lat)))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng


def bounds(features: list[dict]) -> tuple[float, float, float, float]:
    geoms = [shape(f["geometry"]) for f in features]
    xs0, ys0, xs1, ys1 = zip(*(g.bounds for g in geoms), strict=True)
    return min(ys0), max(ys1), min(xs0), max(xs1)
