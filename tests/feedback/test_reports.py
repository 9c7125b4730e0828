"""Field reports: routing by polygon × category, tier deadlines in working days, duplicate
suggestions, the handling path with notifications, reopen rules, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PIL import Image

from tinhso.core.errors import DomainError
from tinhso.feedback import images, selectors, services
from tinhso.feedback.models import Follower, Photo, Report, Update
from tinhso.notify.models import Message

from .conftest import A_POINT, B_POINT, OUTSIDE, accepted, jpeg, submit, upload, vn


def test_a_report_is_routed_to_the_commune_that_contains_the_point(world):
    a = submit(world, point=A_POINT)
    b = submit(world, point=B_POINT)
    assert (a.admin_unit, a.agency) == (world.unit_a, world.agency_a)
    assert (b.admin_unit, b.agency) == (world.unit_b, world.agency_b)


def test_a_category_route_wins_over_the_commune(world):
    report = submit(world, category="giao-thong", point=B_POINT)
    assert report.agency == world.dept


def test_the_deadline_counts_the_tier_in_working_days(world):
    # Friday 2026-11-27 10:00: 3 working days → Wednesday; 1 working day → Monday
    friday = vn(2026, 11, 27, 10, 0)
    spot = submit(world, now=friday)
    urgent = submit(world, category="chay-no", now=friday)
    assert spot.deadline.astimezone(friday.tzinfo).date().isoformat() == "2026-12-02"
    assert urgent.deadline.astimezone(friday.tzinfo).date().isoformat() == "2026-11-30"


def test_a_drawn_code_already_taken_is_drawn_again_and_written_once(world, monkeypatch):
    first = submit(world)
    draws = iter([first.code, first.code, "PA261201123456"])
    monkeypatch.setattr(services, "_new_code", lambda now: next(draws))
    second = submit(world, text="Một phản ánh khác")
    assert second.code == "PA261201123456"
    assert Report.objects.filter(code=first.code).count() == 1
    assert Update.objects.filter(report=second).count() == 1
    assert Message.objects.filter(related_object=f"feedback:{second.code}").exists()


def test_a_route_or_category_change_applies_to_the_next_report_at_once(world):
    before = submit(world, category="giao-thong", point=B_POINT)
    assert before.agency == world.dept  # the routing table is now kept by this process
    services.set_route(actor=world.admin, agency=world.agency_a, category=world.road)
    assert submit(world, category="giao-thong", point=B_POINT).agency == world.agency_a
    world.road.is_active = False
    world.road.save()
    with pytest.raises(DomainError) as refused:
        submit(world, category="giao-thong", point=B_POINT)
    assert refused.value.code == "feedback_unknown_category"


def test_changing_the_category_or_the_place_reroutes(world):
    report = accepted(world, point=A_POINT)
    assert report.agency == world.agency_a
    report = services.act(
        actor=world.centre_officer, report=report, action="move", lat=B_POINT[0], lng=B_POINT[1]
    )
    assert (report.admin_unit, report.agency, report.state) == (
        world.unit_b,
        world.agency_b,
        "routed",
    )
    report = services.act(
        actor=world.centre_officer, report=report, action="recategorise", category="giao-thong"
    )
    assert report.agency == world.dept


def test_duplicates_are_suggested_within_the_category_radius(world):
    near = submit(world, point=(10.05, 106.05))
    submit(world, point=(10.0508, 106.05))  # ≈ 89 m north: beyond 50 m
    submit(world, category="giao-thong", point=(10.0502, 106.05))  # other category
    found = selectors.nearby(category=world.waste, lat=10.0503, lng=106.05)
    assert [r.code for r, _ in found] == [near.code]
    assert 30 < found[0][1] < 40
    # the road category's radius (200 m) reaches further
    road = selectors.nearby(category=world.road, lat=10.0508, lng=106.05)
    assert len(road) == 1
    # closed and hidden reports are not suggested
    services.act(actor=world.centre_officer, report=near, action="reject", reason="Không rõ")
    assert selectors.nearby(category=world.waste, lat=10.0503, lng=106.05) == []


def test_following_a_nearby_report_instead_of_duplicating_it(world):
    report = submit(world)
    assert services.follow(actor=world.other_citizen, report=report) is True
    assert services.follow(actor=world.other_citizen, report=report) is False
    report.refresh_from_db()
    assert report.follower_count == 2
    report = services.act(actor=world.centre_officer, report=report, action="accept", note="")
    services.act(actor=world.handler_a, report=report, action="answer", text="Đã thu gom.")
    # the follower is told about the answer too
    assert Message.objects.filter(
        recipient=world.other_citizen, template="feedback_update"
    ).exists()


def test_the_whole_path_notifies_the_reporter_at_each_public_step(world):
    report = accepted(world)
    report = services.act(
        actor=world.leader_a, report=report, action="assign", assignee=str(world.handler_a.uid)
    )
    assert (report.state, report.assignee) == ("in_progress", world.handler_a)
    report = services.act(
        actor=world.handler_a,
        report=report,
        action="answer",
        text="Đã cho thu gom, vệ sinh khu vực.",
        photos=[upload(jpeg())],
    )
    assert report.state == "answered" and report.on_time
    assert report.photos.filter(kind=Photo.Kind.ANSWER).count() == 1
    report = services.act(actor=world.citizen, report=report, action="rate", rating=5, note="Tốt")
    assert report.rating == 5
    kinds = list(report.updates.values_list("kind", flat=True))
    assert kinds == ["submitted", "accepted", "assigned", "answered", "rated"]
    subjects = list(
        Message.objects.filter(recipient=world.citizen, channel="email").values_list(
            "subject", flat=True
        )
    )
    assert len(subjects) == 3  # submitted, accepted, answered (not the internal assignment)
    assert any("Trả lời" in s for s in subjects)
    assert Message.objects.filter(recipient=world.citizen, channel="sms").count() == 3


def test_only_the_reporter_reopens_and_only_within_the_window(world):
    report = accepted(world)
    report = services.act(actor=world.handler_a, report=report, action="answer", text="Đã xử lý.")
    with pytest.raises(DomainError) as err:
        services.act(actor=world.other_citizen, report=report, action="reopen", reason="Chưa sửa")
    assert err.value.code == "feedback_not_reporter"
    with pytest.raises(DomainError) as err:
        services.act(
            actor=world.citizen,
            report=report,
            action="reopen",
            reason="Chưa sửa",
            now=report.answered_at + timedelta(days=8),
        )
    assert err.value.code == "feedback_reopen_window_passed"
    report.refresh_from_db()
    assert report.state == "answered"
    report = services.act(actor=world.citizen, report=report, action="reopen", reason="Chưa sửa")
    assert (report.state, report.reopen_count) == ("routed", 1)


def test_triage_merge_reject_and_not_ours(world):
    original = submit(world)
    duplicate = submit(world, user=world.other_citizen)
    duplicate = services.act(
        actor=world.centre_officer, report=duplicate, action="merge", original=original.code
    )
    assert duplicate.state == "duplicate" and duplicate.duplicate_of == original
    assert Follower.objects.filter(report=original, user=world.other_citizen).exists()
    # the handling agency cannot triage
    other = submit(world)
    with pytest.raises(DomainError) as err:
        services.act(actor=world.handler_a, report=other, action="reject", reason="x")
    assert err.value.code == "permission_denied"
    with pytest.raises(DomainError) as err:
        services.act(actor=world.centre_officer, report=other, action="reject", reason=" ")
    assert err.value.code == "feedback_reason_required"
    other = accepted(world)
    other = services.act(
        actor=world.handler_a, report=other, action="not_ours", reason="Đất do tỉnh quản lý"
    )
    assert other.state == "new" and other.returned_by_agency
    other = services.act(actor=world.centre_officer, report=other, action="accept", note="")
    other = services.act(
        actor=world.handler_a,
        report=other,
        action="transfer",
        agency=world.dept.code,
        reason="Đường tỉnh",
    )
    assert (other.agency, other.state) == (world.dept, "routed")


def test_overdue_reports_escalate_to_the_centre_once(world):
    report = submit(world, now=vn(2026, 1, 5, 9, 0))
    services.act(actor=world.centre_officer, report=report, action="accept", note="")
    assert services.escalate_overdue() == 1
    assert services.escalate_overdue() == 0
    report.refresh_from_db()
    assert report.escalated_at is not None
    assert report.updates.filter(kind=Update.Kind.ESCALATED, public=False).exists()
    assert list(selectors.work_queue(world.centre_officer, "overdue")) == [report]


def test_moderation_hides_redacts_and_anonymises(world):
    report = submit(world, photos=[upload(jpeg())])
    photo = report.photos.get()
    old_hash = photo.sha256
    report = services.act(
        actor=world.centre_officer, report=report, action="redact", photo=str(photo.uid)
    )
    photo.refresh_from_db()
    assert photo.redacted and photo.sha256 != old_hash
    report = services.act(actor=world.centre_officer, report=report, action="anonymise")
    assert (report.reporter_name, report.reporter_phone, report.reporter_email) == ("", "", "")
    report = services.act(
        actor=world.centre_officer, report=report, action="hide", reason="Lộ thông tin"
    )
    assert report.code not in selectors.public_reports().values_list("code", flat=True)


def test_photo_gps_is_read_then_stripped_and_the_photo_resized(world):
    raw = jpeg(size=(4000, 3000), gps=A_POINT)
    processed = images.process(raw)
    assert processed.gps == pytest.approx(A_POINT, abs=1e-4)
    assert max(processed.width, processed.height) == images.MAX_SIDE
    stored = Image.open(upload(processed.data))
    assert not stored.getexif()  # no GPS, no maker: nothing of the original metadata
    # no coordinates given: the photo's position places the report
    report = services.submit_report(
        actor=world.citizen, category="rac-thai", description="Rác", photos=[upload(raw)]
    )
    assert report.admin_unit == world.unit_a


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"category": "khong-co"}, "feedback_unknown_category"),
        ({"point": OUTSIDE}, "feedback_outside_province"),
        ({"point": (999, 106)}, "feedback_outside_province"),
        ({"text": "x" * 4001}, "feedback_description_too_long"),
        ({"text": "Xem <script>alert(1)</script>"}, "feedback_html_not_allowed"),
        ({"text": "   "}, "feedback_description_required"),
        ({"photos": [upload(b"%PDF-1.4 not an image")]}, "feedback_not_an_image"),
    ],
)
def test_bad_input_is_refused_with_a_stable_code_and_nothing_written(world, kwargs, code):
    with pytest.raises(DomainError) as err:
        submit(world, **kwargs)
    assert err.value.code == code
    assert Report.objects.count() == 0 and Photo.objects.count() == 0


def test_a_decompression_bomb_is_refused(world):
    from PIL import Image as PILImage

    bomb = upload(b"")
    out = upload(b"")
    PILImage.new("1", (20000, 20000)).save(out, format="PNG")
    bomb = upload(out.getvalue())
    with pytest.raises(DomainError) as err:
        submit(world, photos=[bomb])
    assert err.value.code == "feedback_image_too_large"
    assert Report.objects.count() == 0


def test_a_flood_of_reports_from_one_account_is_rate_limited(world, settings):
    settings.FEEDBACK_SUBMIT_RATE = "3/hour"
    for _ in range(3):
        submit(world)
    with pytest.raises(DomainError) as err:
        submit(world)
    assert err.value.code == "feedback_rate_limited"
    assert Report.objects.count() == 3


def test_statistics_count_on_time_and_satisfaction(world):
    report = accepted(world)
    report = services.act(actor=world.handler_a, report=report, action="answer", text="Xong")
    services.act(actor=world.citizen, report=report, action="rate", rating=5)
    submit(world)
    today = report.created_at.date()
    data = selectors.figures(start=today - timedelta(days=1), end=today + timedelta(days=1))
    total = data["total"]
    assert (total["received"], total["answered"], total["on_time_pct"], total["satisfied_pct"]) == (
        2,
        1,
        100.0,
        100.0,
    )
