"""Document search benchmark: load N incoming documents, time 20 typical searches.

    .venv/bin/python benchmarks/documents_search.py                     # 1,000,000 documents
    .venv/bin/python benchmarks/documents_search.py --documents 100000  # a quick run

Documents are generated from templates: realistic Vietnamese subjects (trích yếu) and
bodies (the text a PDF would give) with full diacritics, senders, types, dates spread over
two years, 60 receiving agencies. They are loaded with COPY into
documents_incomingdocument (the GIN indexes are dropped during the load and rebuilt after;
the generated `search_tsv` column is computed by PostgreSQL on insert), then ANALYZEd.
`--keep` keeps the database, `--reuse` times the queries again on the kept one and
`--database NAME` keeps several sizes side by side.

The 20 queries go through `documents.selectors.search_documents` (the same code as the
page and the API) as a platform administrator (every agency) or a clerk of one agency,
with and without diacritics, rare and common words, phrases and filters. Each query runs
`--rounds` times (default 5) after one warm-up run.

PostgreSQL: a throwaway database `bench_documents_search` on the server of
BENCH_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/postgres), created and
dropped here (`--keep` keeps it). Prints JSON lines: the load, then the latencies:
  {"documents": 1000000, "load_s": ..., "documents_per_s": ...}
  {"queries": 20, "p50_ms": ..., "p95_ms": ..., "max_ms": ..., "slowest": "..."}
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DB_NAME = "bench_documents_search"

PLACES = [
    "thành phố Đà Nẵng",
    "tỉnh Sông Lam",
    "xã An Sơn",
    "phường Sông Lam",
    "huyện Lam Sơn",
    "thị xã Đông Lam",
    "xã Thạch Phong",
    "Khu kinh tế Đông Nam",
    "thành phố Hồ Chí Minh",
    "Thủ đô Hà Nội",
]
TOPICS = [
    "chuyển đổi số",
    "cải cách hành chính",
    "dịch vụ công trực tuyến",
    "phòng, chống thiên tai",
    "quyết toán ngân sách nhà nước",
    "tuyển dụng công chức",
    "xây dựng nông thôn mới",
    "bảo vệ môi trường",
    "an toàn thông tin mạng",
    "phòng, chống dịch bệnh",
    "giáo dục và đào tạo",
    "đầu tư công",
    "giải phóng mặt bằng",
    "an toàn giao thông",
    "chữ ký số chuyên dùng",
    "cơ sở dữ liệu quốc gia về dân cư",
    "công tác văn thư, lưu trữ",
    "thi đua, khen thưởng",
]
SUBJECTS = [
    ("cv", "Về việc triển khai {topic} trên địa bàn {place}"),
    ("cv", "Về việc báo cáo kết quả thực hiện {topic} quý {q} năm {y}"),
    ("qd", "Quyết định phê duyệt Kế hoạch {topic} năm {y}"),
    ("qd", "Quyết định thành lập Ban Chỉ đạo {topic} của {place}"),
    ("kh", "Kế hoạch thực hiện {topic} giai đoạn {y}-{y2}"),
    ("tb", "Thông báo kết luận của Chủ tịch Ủy ban nhân dân tỉnh về {topic}"),
    ("ct", "Chỉ thị về tăng cường {topic} trong cơ quan nhà nước"),
    ("bc", "Báo cáo tình hình {topic} tháng {m} năm {y}"),
    ("gm", "Giấy mời dự Hội nghị sơ kết {topic} tại {place}"),
    ("hd", "Hướng dẫn thực hiện {topic} theo Nghị định số {n}/{y}/NĐ-CP"),
    ("ttr", "Tờ trình đề nghị phê duyệt dự án {topic} tại {place}"),
]
SENTENCES = [
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015;",
    "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
    "Ủy ban nhân dân tỉnh đề nghị các sở, ban, ngành và Ủy ban nhân dân các xã, phường khẩn trương triển khai {topic}.",
    "Đoàn công tác của {place} sẽ đến làm việc về {topic} trong tháng {m}.",
    "Giao Sở Tài chính chủ trì, phối hợp với các cơ quan liên quan tham mưu bố trí kinh phí thực hiện.",
    "Đề nghị báo cáo kết quả về Văn phòng Ủy ban nhân dân tỉnh trước ngày {d} tháng {m} năm {y}.",
    "Trong quá trình thực hiện, nếu có khó khăn, vướng mắc, đề nghị phản ánh kịp thời để xem xét, giải quyết.",
    "Kết quả {topic} tại {place} đạt {p}% kế hoạch năm.",
    "Chủ tịch Ủy ban nhân dân {place} chịu trách nhiệm trước Chủ tịch Ủy ban nhân dân tỉnh.",
]
SENDERS = [
    "Văn phòng Chính phủ",
    "Bộ Nội vụ",
    "Bộ Tài chính",
    "Bộ Khoa học và Công nghệ",
    "Ủy ban nhân dân thành phố Đà Nẵng",
    "Sở Tài chính",
    "Sở Nội vụ",
    "Sở Xây dựng",
    "Sở Y tế",
    "Ủy ban nhân dân xã An Sơn",
    "Bảo hiểm xã hội tỉnh",
    "Công an tỉnh",
]

QUERIES: list[tuple[str, dict]] = [
    ("uy ban nhan dan tinh", {}),
    ("đà nẵng", {}),
    ("da nang", {}),
    ("chuyển đổi số", {}),
    ("chuyen doi so", {"doc_type": "qd"}),
    ('"dich vu cong truc tuyen"', {}),
    ("quyet toan ngan sach", {"agency": True}),
    ("xã an sơn giải phóng mặt bằng", {}),
    ("chu ky so chuyen dung", {}),
    ("thi dua khen thuong", {"date_range": True}),
    ("an toan thong tin mang", {"agency": True}),
    ("nghị định 30/2020/nđ-cp", {}),
    ("phong chong thien tai thach phong", {}),
    ("bao cao tinh hinh thang 3", {"doc_type": "bc"}),
    ("", {"agency": True}),
    ("", {"doc_type": "ct", "date_range": True}),
    ("tuyen dung cong chuc", {"status": "done"}),
    ("khu kinh te dong nam", {}),
    ("co so du lieu quoc gia ve dan cu", {"agency": True}),
    ("hoi nghi so ket", {"date_range": True}),
]


def admin_url() -> str:
    return os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")


def pg(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def create_database(name: str = DB_NAME) -> str:
    import psycopg

    with psycopg.connect(pg(admin_url()), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return admin_url().rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str = DB_NAME) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(pg(admin_url()), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def setup_django(url: str) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "tinhso.settings"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("TINHSO_VAR_DIR", str(ROOT / "var" / "bench"))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class Generator:
    """Subjects and bodies with their folded forms (folded once per fragment)."""

    def __init__(self, seed: int = 2020) -> None:
        from tinhso.core.text import fold

        self.rng = random.Random(seed)
        self.fold = fold
        self.places = [(p, fold(p)) for p in PLACES]
        self.topics = [(t, fold(t)) for t in TOPICS]
        self.subjects = [(k, s, fold(s)) for k, s in SUBJECTS]
        self.sentences = [(s, fold(s)) for s in SENTENCES]

    def _fill(self, pair: tuple[str, str], slots: dict) -> tuple[str, str]:
        text, folded = pair
        return text.format(**slots[0]), folded.format(**slots[1])

    def document(self) -> tuple[str, str, str, str]:
        rng = self.rng
        place, place_f = rng.choice(self.places)
        topic, topic_f = rng.choice(self.topics)
        y = rng.choice([2025, 2026])
        nums = {
            "q": rng.randint(1, 4),
            "y": y,
            "y2": y + 5,
            "m": rng.randint(1, 12),
            "d": rng.randint(1, 28),
            "n": rng.randint(10, 200),
            "p": rng.randint(40, 100),
        }
        slots = (
            {**nums, "place": place, "topic": topic},
            {**nums, "place": place_f, "topic": topic_f},
        )
        kind, subj, subj_f = rng.choice(self.subjects)
        subject, subject_f = self._fill((subj, subj_f), slots)
        body, body_f = [], []
        for pair in rng.sample(self.sentences, rng.randint(3, 6)):
            text, folded = self._fill(pair, slots)
            body.append(text)
            body_f.append(folded)
        return kind, subject, subject_f, " ".join(body_f)


def load(n: int, agencies: int) -> dict:
    from django.db import connection

    from tinhso.directory.models import Agency
    from tinhso.documents.models import Register

    agency_rows = [
        Agency.objects.create(code=f"H97.{i:02d}", name=f"Cơ quan thử {i}", short_name=f"CQ{i}")
        for i in range(agencies)
    ]
    registers = {}
    for a in agency_rows:
        for year in (2025, 2026):
            registers[(a.pk, year)] = Register.objects.create(
                agency=a, year=year, direction="incoming", series="normal"
            ).pk
    counters = dict.fromkeys(registers, 0)
    gen = Generator()
    senders = [(s, gen.fold(s)) for s in SENDERS]
    rng = gen.rng
    start_day = datetime(2025, 1, 2, 1, 0, tzinfo=UTC)
    span_days = 700
    columns = (
        "uid, created_at, updated_at, agency_id, register_id, arrival_number, arrived_at, "
        "sender_name, sender_folded, number_notation, notation_key, issued_on, doc_type, subject, "
        "subject_folded, text_folded, urgency, confidentiality, page_count, deadline, status, source"
    )
    # Arrival order: sorted times so arrival numbers follow arrival dates.
    offsets = sorted(rng.random() * span_days for _ in range(n))
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # The GIN indexes (words, agency and day; sender trigrams) are built after the load.
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
            "'documents_incomingdocument' AND indexdef LIKE '%%USING gin%%'"
        )
        gin = cursor.fetchall()
        for name, _definition in gin:
            cursor.execute(f"DROP INDEX {name}")
        raw = cursor.cursor
        with raw.copy(f"COPY documents_incomingdocument ({columns}) FROM STDIN") as copy:
            for off in offsets:
                arrived = start_day + timedelta(days=off)
                agency = agency_rows[rng.randrange(agencies)]
                key = (agency.pk, arrived.year)
                counters[key] += 1
                kind, subject, subject_f, body_f = gen.document()
                sender, sender_f = rng.choice(senders)
                number = f"{rng.randint(1, 999)}/{kind.upper()}-VP"
                issued = (arrived - timedelta(days=rng.randint(0, 5))).date()
                status = rng.choice(["registered", "in_progress", "in_progress", "done", "done"])
                copy.write_row(
                    (
                        uuid.uuid4(),
                        arrived,
                        arrived,
                        agency.pk,
                        registers[key],
                        counters[key],
                        arrived,
                        sender,
                        sender_f,
                        number,
                        number.upper(),
                        issued,
                        kind,
                        subject,
                        subject_f,
                        body_f,
                        "normal",
                        "normal",
                        rng.randint(1, 12),
                        issued + timedelta(days=15),
                        status,
                        "upload",
                    )
                )
        copied = time.perf_counter()
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in gin:
            cursor.execute(definition)
        for key, last in counters.items():
            cursor.execute(
                "UPDATE documents_register SET last_number = %s WHERE id = %s",
                [last, registers[key]],
            )
        cursor.execute("ANALYZE documents_incomingdocument")
    done = time.perf_counter()
    return {
        "documents": n,
        "load_s": round(done - started, 1),
        "copy_s": round(copied - started, 1),
        "index_s": round(done - copied, 1),
        "documents_per_s": round(n / (done - started)),
        "agencies": agencies,
    }


def run_queries(rounds: int) -> dict:
    from tinhso.accounts.models import Role, User
    from tinhso.accounts.services import grant_role
    from tinhso.directory.models import Agency
    from tinhso.documents.selectors import search_documents

    admin = User.objects.filter(username="bench.admin").first() or User.objects.create_superuser(
        username="bench.admin", password=None, kind="official"
    )
    agency = Agency.objects.get(code="H97.07")
    clerk, _ = User.objects.get_or_create(username="bench.clerk", defaults={"kind": "official"})
    grant_role(user=clerk, agency=agency, role=Role.CLERK)
    timings: list[float] = []
    per_query = []
    for q, opts in QUERIES:
        kwargs = {"q": q}
        user = admin
        if opts.get("agency"):
            user = clerk
        if opts.get("doc_type"):
            kwargs["doc_type"] = opts["doc_type"]
        if opts.get("status"):
            kwargs["status"] = opts["status"]
        if opts.get("date_range"):
            kwargs["date_from"] = date(2026, 3, 1)
            kwargs["date_to"] = date(2026, 5, 31)
        search_documents(user=user, **kwargs)  # warm-up
        samples = []
        for _ in range(rounds):
            t = time.perf_counter()
            page = search_documents(user=user, **kwargs)
            samples.append((time.perf_counter() - t) * 1000)
        timings.extend(samples)
        per_query.append(
            {
                "q": q,
                **{k: str(v) for k, v in opts.items()},
                "median_ms": round(statistics.median(samples), 1),
                "hits_on_page": len(page.items),
            }
        )
    timings.sort()
    slowest = max(per_query, key=lambda r: r["median_ms"])
    return {
        "queries": len(QUERIES),
        "runs": len(timings),
        "p50_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
        "max_ms": round(timings[-1], 1),
        "slowest": slowest,
        "per_query": per_query,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--agencies", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse a database kept by --keep (skip the load)"
    )
    parser.add_argument(
        "--database",
        default=DB_NAME,
        help="database name (several sizes can be kept side by side)",
    )
    args = parser.parse_args()
    if not args.database.isidentifier():
        parser.error("--database: letters, digits and _ only")
    if args.reuse:
        url = admin_url().rsplit("/", 1)[0] + f"/{args.database}"
        args.keep = True
    else:
        url = create_database(args.database)
    try:
        setup_django(url)
        if not args.reuse:
            print(json.dumps(load(args.documents, args.agencies)), flush=True)
        print(json.dumps(run_queries(args.rounds), ensure_ascii=False), flush=True)
    finally:
        if not args.keep:
            drop_database(args.database)


if __name__ == "__main__":
    main()
