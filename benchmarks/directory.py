"""Directory benchmark: a province of 1,000 agencies and 10,000 officials.

Times the two hot reads of the directory (goal: < 20 ms each):
- loading a subtree (`selectors.subtree_rows(agency)`: one prefix query, lean rows), for
  random departments and for the whole province (root); `subtree_root_models` is the same
  as full model instances, `tree_root` the nested tree the tree page and API build
  (`selectors.tree`, depth 10);
- "what can this official see" (`Agency.objects.visible_to(user)`, all rows fetched, the
  user's role grants read fresh each time), for random officials and for leaders.

Data is bulk-created into a throwaway database: a SQLite file under var/bench/ and, when a
server answers at 127.0.0.1:5432, a PostgreSQL database `bench_directory` (created and
dropped here). One JSON object per line per database.

    .venv/bin/python benchmarks/directory.py                 # 1,000 agencies, 10,000 officials
    .venv/bin/python benchmarks/directory.py --agencies 200 --officials 2000 --samples 50
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "bench_directory"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return round(ordered[k], 3)


def build(n_agencies: int, n_officials: int, seed: int = 7) -> dict:
    """Bulk-create the province; returns ids for sampling."""
    from tinhso.accounts.models import Role, RoleGrant, User
    from tinhso.core.text import fold
    from tinhso.directory.models import Agency, Membership

    rng = random.Random(seed)
    agencies: list[Agency] = []

    def add(pk: int, code: str, name: str, kind: str, parent: Agency | None) -> Agency:
        path = f"{parent.path if parent else '/'}{pk}/"
        a = Agency(
            pk=pk,
            code=code,
            name=name,
            kind=kind,
            parent=parent,
            path=path,
            depth=path.count("/") - 2,
            name_folded=fold(f"{name} {code}"),
        )
        agencies.append(a)
        return a

    root = add(1, "H98", "Ủy ban nhân dân tỉnh Thử Tải", "peoples_committee", None)
    n_depts = max(1, n_agencies // 25)  # 40 departments for 1,000 agencies
    units_per_dept = 5
    pk = 1
    depts = []
    for d in range(1, n_depts + 1):
        pk += 1
        dept = add(pk, f"H98.{d:02d}", f"Sở số {d}", "department", root)
        depts.append(dept)
        for u in range(1, units_per_dept + 1):
            pk += 1
            add(pk, f"H98.{d:02d}.{u:02d}", f"Đơn vị {u} thuộc Sở số {d}", "public_unit", dept)
    c = 0
    while pk < n_agencies:
        pk += 1
        c += 1
        add(pk, f"H98.{100 + c}", f"Ủy ban nhân dân xã Thử {c}", "peoples_committee", root)
    Agency.objects.bulk_create(agencies, batch_size=500)

    users = [
        User(
            username=f"u{i:05d}", full_name=f"Cán bộ Thử {i}", kind=User.Kind.OFFICIAL, password="!"
        )
        for i in range(n_officials)
    ]
    User.objects.bulk_create(users, batch_size=1000)
    users = list(User.objects.filter(username__startswith="u").order_by("id"))
    memberships, grants = [], []
    leaders = []
    non_root = agencies[1:]
    for i, user in enumerate(users):
        home = non_root[i % len(non_root)]
        memberships.append(
            Membership(user=user, agency=home, person_name_folded=fold(user.full_name))
        )
        if i % 50 == 0 and home.kind in ("department", "peoples_committee"):
            grants.append(RoleGrant(user=user, agency=home, role=Role.LEADER))
            leaders.append(user.pk)
        else:
            grants.append(RoleGrant(user=user, agency=home, role=Role.SPECIALIST))
        if i % 7 == 0:  # a second post somewhere else
            other = rng.choice(non_root)
            if other.pk != home.pk:
                memberships.append(
                    Membership(
                        user=user,
                        agency=other,
                        is_primary=False,
                        person_name_folded=fold(user.full_name),
                    )
                )
                grants.append(RoleGrant(user=user, agency=other, role=Role.ONESTOP_OFFICER))
    # a province leader: sees everything below the root
    grants.append(RoleGrant(user=users[0], agency=root, role=Role.LEADER))
    leaders.append(users[0].pk)
    Membership.objects.bulk_create(memberships, batch_size=1000)
    RoleGrant.objects.bulk_create(grants, batch_size=1000, ignore_conflicts=True)
    return {
        "root": root.pk,
        "depts": [d.pk for d in depts],
        "users": [u.pk for u in users],
        "leaders": leaders,
    }


def measure(ids: dict, samples: int) -> dict:
    from tinhso.accounts.models import User
    from tinhso.directory import selectors
    from tinhso.directory.models import Agency

    rng = random.Random(11)

    def timed(fn) -> float:
        started = time.perf_counter()
        fn()
        return (time.perf_counter() - started) * 1000

    def subtree(pk: int) -> int:
        agency = Agency.objects.get(pk=pk)
        return len(selectors.subtree_rows(agency))

    def subtree_models(pk: int) -> int:
        agency = Agency.objects.get(pk=pk)
        return len(list(selectors.subtree(agency)))

    def tree_root() -> int:
        agency = Agency.objects.get(pk=ids["root"])
        return len(selectors.tree(agency, depth=10)[0].children)

    def visible(pk: int) -> int:
        user = User.objects.get(pk=pk)  # fresh object: grants are read again
        return len(list(Agency.objects.visible_to(user).only("id", "code", "name")))

    for _ in range(5):  # warm-up
        subtree(ids["root"])
        visible(ids["users"][0])
    sub = [timed(lambda: subtree(rng.choice(ids["depts"]))) for _ in range(samples)]
    sub_root = [timed(lambda: subtree(ids["root"])) for _ in range(max(5, samples // 10))]
    sub_models = [timed(lambda: subtree_models(ids["root"])) for _ in range(max(5, samples // 10))]
    tree = [timed(tree_root) for _ in range(max(5, samples // 10))]
    vis = [timed(lambda: visible(rng.choice(ids["users"]))) for _ in range(samples)]
    vis_lead = [timed(lambda: visible(rng.choice(ids["leaders"]))) for _ in range(samples)]
    return {
        "subtree_p50_ms": pct(sub, 50),
        "subtree_p95_ms": pct(sub, 95),
        "subtree_root_p50_ms": pct(sub_root, 50),
        "subtree_root_p95_ms": pct(sub_root, 95),
        "root_subtree_rows": subtree(ids["root"]),
        "subtree_root_models_p50_ms": pct(sub_models, 50),
        "tree_root_p50_ms": pct(tree, 50),
        "tree_root_p95_ms": pct(tree, 95),
        "visible_p50_ms": pct(vis, 50),
        "visible_p95_ms": pct(vis, 95),
        "visible_leader_p50_ms": pct(vis_lead, 50),
        "visible_leader_p95_ms": pct(vis_lead, 95),
    }


def worker(args) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tinhso.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    ids = build(args.agencies, args.officials)
    build_s = time.perf_counter() - started
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result = {
        "db": connection.vendor,
        "agencies": args.agencies,
        "officials": args.officials,
        "samples": args.samples,
        "build_s": round(build_s, 2),
    }
    result.update(measure(ids, args.samples))
    print(json.dumps(result), flush=True)


def run_leg(db: str, args) -> int:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src")
    if db == "sqlite":
        bench_dir = ROOT / "var" / "bench"
        bench_dir.mkdir(parents=True, exist_ok=True)
        path = bench_dir / "directory.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        env["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{PG_DB}"
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        "--agencies",
        str(args.agencies),
        "--officials",
        str(args.officials),
        "--samples",
        str(args.samples),
    ]
    return subprocess.call(cmd, env=env, cwd=ROOT)


def pg_admin(sql: str) -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3) as conn:
            conn.execute(sql)
        return True
    except Exception as exc:  # noqa: BLE001 (reported, then the leg is skipped)
        print(json.dumps({"db": "postgresql", "skipped": str(exc).splitlines()[0]}))
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agencies", type=int, default=1000)
    parser.add_argument("--officials", type=int, default=10000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    rc = 0
    for db in args.db.split(","):
        if db == "postgresql":
            if not pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}"):
                continue
            pg_admin(f"CREATE DATABASE {PG_DB}")
            try:
                rc |= run_leg(db, args)
            finally:
                pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        else:
            rc |= run_leg(db, args)
    sys.exit(rc)


if __name__ == "__main__":
    main()
