"""The minutes (biên bản) drafted from what the meeting recorded: agenda, attendance,
speakers and votes. The secretary edits the draft before it goes to the chair to sign."""

from __future__ import annotations

from django.utils import timezone

from tinhso.meetings.models import Meeting, Participant, SpeakerRequest, Vote


def vote_lines(vote: Vote) -> list[str]:
    if vote.state != Vote.State.CLOSED:
        return [f"Biểu quyết “{vote.question}”: chưa kết thúc."]
    result = vote.result
    counts = "; ".join(f"{o['label']}: {o['count']}" for o in result["options"])
    kind = "bỏ phiếu kín" if vote.kind == Vote.Kind.SECRET else "biểu quyết công khai"
    if vote.method == Vote.Method.YNA:
        outcome = "THÔNG QUA" if result["passed"] else "KHÔNG THÔNG QUA"
    else:
        labels = {o["code"]: o["label"] for o in result["options"]}
        winner = result.get("winner")
        outcome = f"CHỌN PHƯƠNG ÁN “{labels[winner]}”" if winner else "KHÔNG CÓ PHƯƠNG ÁN ĐẠT"
    lines = [
        f"Biểu quyết “{vote.question}” ({kind}): {result['present']}/{result['members']} "
        f"thành viên có mặt, {result['cast']} phiếu; {counts}. Kết quả: {outcome} "
        f"(quy tắc {result['rule']}, {result['threshold']} "
        f"{_base_label(result['base_kind'])}).",
    ]
    if result.get("legal_basis"):
        lines.append(f"Căn cứ: {result['legal_basis']}.")
    return lines


def _base_label(base: str) -> str:
    return {
        "members": "tổng số thành viên",
        "present": "số thành viên có mặt",
        "cast": "số phiếu đã bỏ",
    }.get(base, base)


def draft(meeting: Meeting) -> str:
    start = timezone.localtime(meeting.started_at or meeting.starts_at)
    end = timezone.localtime(meeting.closed_at or timezone.now())
    participants = list(meeting.participants.select_related("user", "represents__user"))
    present = [p for p in participants if p.checked_in_at is not None]
    absent = [p for p in participants if p.checked_in_at is None and p.role != "delegate"]
    lines = [
        f"Cuộc họp: {meeting.title}.",
        f"Thời gian: từ {start:%H giờ %M} đến {end:%H giờ %M}, ngày {start:%d/%m/%Y}. "
        f"Địa điểm: {meeting.room or 'trực tuyến'}.",
        f"Chủ trì: {meeting.chair}. Thư ký: {meeting.secretary}.",
        "Thành phần có mặt: "
        + (
            ", ".join(
                f"{p.user}"
                + (f" (dự thay {p.represents.user})" if p.represents is not None else "")
                + (" — khách mời" if p.role == Participant.Role.GUEST else "")
                for p in present
            )
            or "không ghi nhận"
        )
        + ".",
    ]
    if absent:
        lines.append(
            "Vắng mặt: "
            + ", ".join(
                f"{p.user}" + (" (cử người dự thay)" if p.response == "delegated" else "")
                for p in absent
            )
            + "."
        )
    speakers = list(
        meeting.speakers.filter(
            status__in=[SpeakerRequest.Status.DONE, SpeakerRequest.Status.SPEAKING]
        ).select_related("participant__user", "item")
    )
    votes = list(meeting.votes.select_related("item").order_by("created_at", "id"))
    for item in meeting.items.select_related("presenter"):
        lines.append(
            f"Nội dung {item.order}: {item.title}"
            + (f" (trình bày: {item.presenter})" if item.presenter_id else "")
            + "."
        )
        said = [s for s in speakers if s.item_id == item.pk]
        if said:
            lines.append(
                "Ý kiến phát biểu: "
                + "; ".join(
                    f"{s.participant.user}" + (f" ({s.topic})" if s.topic else "") for s in said
                )
                + "."
            )
        for vote in [v for v in votes if v.item_id == item.pk]:
            lines.extend(vote_lines(vote))
    others = [v for v in votes if v.item_id is None]
    for vote in others:
        lines.extend(vote_lines(vote))
    lines.append(f"Cuộc họp kết thúc lúc {end:%H giờ %M} cùng ngày.")
    return "\n".join(lines)
