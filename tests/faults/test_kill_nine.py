"""kill -9 in the middle of the work loses nothing (issue 18, "Faults").

A real tinhso instance — gunicorn with two workers and the task worker, on its own
PostgreSQL database and media directory — is loaded by concurrent officers through the
REST API, and the process doing the work is killed with SIGKILL at a random (seeded:
KILL_TEST_SEED) moment: a gunicorn worker in the middle of dossier transitions, of
document numbering and of file uploads; the task worker in the middle of notification
deliveries; the whole `tinhso serve` process group in the middle of all of them. After
the restart, what the database and the media directory hold is checked:

- every acknowledged transition is stored with its event and audit entry; no dossier is
  in a half state; none is applied twice (an officer who got no answer does it again
  and is told it is done); dossier codes have no gap;
- the numbers of each register run 1..N, none skipped, none given twice;
- every outbox message is delivered and recorded once; the provider may see a message a
  second time only if the worker died between its acceptance and the commit that
  records it (at most one per killed worker, which delivers one at a time), and then
  with the same Idempotency-Key (the message UUID) so that it drops the repeat;
- every file a row names is on disk; files stored by transactions the kill rolled back
  are swept by `tinhso files sweep`, after which no file is without its row;
- `tinhso audit verify` succeeds.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import threading
import time
from collections import Counter, defaultdict

import pytest

from tests.faults.harness import (
    FaultInstance,
    Gateway,
    Reply,
    call,
    kill_one_web_worker,
    run_load,
    sha256,
    wait_for,
)

pytestmark = pytest.mark.postgres

SEED = int(os.environ.get("KILL_TEST_SEED", "18"))
THREADS = 6  # concurrent officers: both sync gunicorn workers always busy
ACTIONS = ("accept", "forward")
AUDIT_OF = {"accept": "onestop.accept_dossier", "forward": "onestop.forward"}
API = "/api/v1"
# What an officer redoing a step that was in fact applied is told: not in that state any
# more, or (the dossier went on to someone else) not theirs to act on.
ALREADY_DONE = {"invalid_transition", "permission_denied", "dossier_changed"}


# ---------------------------------------------------------------------------------------
# The instance, shared by the tests of this module (each uses its own dossiers and
# documents, and checks the whole database)


@pytest.fixture(scope="module")
def gateway():
    g = Gateway(delay=0.05)
    yield g
    g.close()


@pytest.fixture(scope="module")
def inst(tmp_path_factory, gateway, migrated):
    var = tmp_path_factory.mktemp("killtest")
    url = migrated.copy(f"killtest_{os.getpid()}", var)
    instance = FaultInstance(
        name="Tỉnh Kiểm Thử",
        province="H41",
        var=var,
        database_url=url,
        steps="tests.faults.steps",
        extra_env={
            "NOTIFY_SMS_URL": gateway.url,
            "NOTIFY_SENDING_TIMEOUT": "2",  # the lease of a delivery a killed worker held
            "NOTIFY_BACKOFF_SECONDS": "0.5",
            "NOTIFY_HTTP_TIMEOUT": "5",
            "NOTIFY_SWEEP_SECONDS": "1",  # `tinhso serve`'s worker takes the killed one's back
        },
    )
    try:
        instance.seeded = instance.run("seed")
        instance.seeded["columns"] = instance.run("file_columns")["columns"]
        instance.start_web(workers=2)
        instance.start_worker()
        yield instance
    finally:
        instance.stop()
        migrated.drop(url)
        if not os.environ.get("KILL_TEST_KEEP"):  # the logs, to read after a failure
            shutil.rmtree(var, ignore_errors=True)


def token(inst: FaultInstance, who: str) -> str:
    return inst.seeded["tokens"][who]


# ---------------------------------------------------------------------------------------
# Load


class Log:
    """What the officers were told: (kind, key) -> replies, in order."""

    def __init__(self) -> None:
        self.replies: dict[tuple[str, str], list[Reply]] = defaultdict(list)
        self.lock = threading.Lock()
        self.answered = 0

    def add(self, kind: str, key: str, reply: Reply) -> Reply:
        with self.lock:
            self.replies[(kind, key)].append(reply)
            if reply.status is not None:
                self.answered += 1
        return reply

    def acknowledged(self, kind: str, key: str) -> Reply | None:
        return next((r for r in self.replies[(kind, key)] if r.status and r.status < 300), None)


def transition_job(inst: FaultInstance, log: Log, uid: str):
    def job() -> None:
        base = f"{API}/onestop/dossiers/{uid}"
        if log.add("accept", uid, call(inst.url, base + "/accept/", token(inst, "officer"))).status:
            log.add(
                "forward",
                uid,
                call(
                    inst.url,
                    base + "/forward/",
                    token(inst, "officer"),
                    data={"to_user": "chuyenvien.stp"},
                ),
            )

    return job


def redo_transitions(inst: FaultInstance, log: Log, uids: list[str]) -> None:
    """The officer who got no answer reloads the dossier and does the step again: it is
    either applied now, or refused as already done (never applied twice)."""
    for uid in uids:
        base = f"{API}/onestop/dossiers/{uid}"
        for action in ACTIONS:
            if log.acknowledged(action, uid):
                continue
            data = {"to_user": "chuyenvien.stp"} if action == "forward" else {}
            reply = log.add(
                action, uid, call(inst.url, f"{base}/{action}/", token(inst, "officer"), data=data)
            )
            assert reply.status == 200 or reply.body.get("code") in ALREADY_DONE, (
                action,
                uid,
                reply,
            )


def numbering_job(inst: FaultInstance, log: Log, clerk: str, uid: str):
    def job() -> None:
        log.add(
            "number",
            uid,
            call(inst.url, f"{API}/documents/outgoing/{uid}/number", token(inst, clerk)),
        )

    return job


def redo_numbering(inst: FaultInstance, log: Log, clerk: str, uids: list[str]) -> None:
    for uid in uids:
        if log.acknowledged("number", uid):
            continue
        reply = log.add(
            "number",
            uid,
            call(inst.url, f"{API}/documents/outgoing/{uid}/number", token(inst, clerk)),
        )
        assert reply.status == 200 or reply.body.get("code") == "already_numbered", (uid, reply)


def paper(i: int, rng: random.Random) -> bytes:
    """A distinct, valid PDF of ~200 KB (an upload takes a moment to receive and store)."""
    from tests.onestop.conftest import PDF

    padding = b"".join(b"%" + rng.randbytes(60).hex().encode() + b"\n" for _ in range(1600))
    return PDF + f"%paper {i}\n".encode() + padding


def upload_job(inst: FaultInstance, log: Log, key: str, content: bytes):
    def job() -> None:
        log.add(
            "upload",
            key,
            call(
                inst.url,
                f"{API}/onestop/counter-dossiers/",
                token(inst, "officer"),
                data={
                    "procedure": "1.001193",
                    "applicant_name": f"Người nộp {key}",
                    "applicant_phone": "0905111222",
                    "form_data": json.dumps({"ho_ten": f"Người nộp {key}"}),
                },
                files={"files": (f"{key}.pdf", content)},
            ),
        )

    return job


# ---------------------------------------------------------------------------------------
# Checks (reading the database and the media directory)


def versions(inst: FaultInstance, uids: list[str]) -> dict[str, int]:
    return dict(
        inst.sql("select uid::text, version from onestop_dossier where uid::text = any(?)", uids)
    )


def assert_transitions_whole(inst: FaultInstance, log: Log, uids: list[str], before: dict) -> None:
    rows = inst.sql(
        "select id, uid::text, code, state, version from onestop_dossier where uid::text = any(?)",
        uids,
    )
    assert len(rows) == len(uids)
    ids = [r[0] for r in rows]
    events = defaultdict(list)
    for dossier_id, action, state_after in inst.sql(
        "select dossier_id, action, state_after from onestop_dossierevent "
        "where dossier_id = any(?) order by id",
        ids,
    ):
        events[dossier_id].append((action, state_after))
    audit = Counter(
        inst.sql(
            "select object_id, action from audit_auditentry where action = any(?)",
            list(AUDIT_OF.values()),
        )
    )
    for dossier_id, uid, code, state, version in rows:
        done = Counter(action for action, _ in events[dossier_id])
        # applied once each, with its event and its audit entry; nothing half-way
        assert [done[a] for a in ACTIONS] == [1, 1], (uid, events[dossier_id])
        assert [audit[(code, AUDIT_OF[a])] for a in ACTIONS] == [1, 1], (uid, code)
        assert state == "processing" == events[dossier_id][-1][1], (uid, state)
        assert version == before[uid] + len(ACTIONS), (uid, version, before[uid])
        accepted = log.acknowledged("accept", uid)
        if accepted and accepted.status == 200:  # what the officer was told is what is stored
            assert accepted.body["code"] == code


def assert_dossiers_consistent(inst: FaultInstance) -> None:
    """Every dossier of the database: its state is its last event's; no step applied twice;
    dossier codes of each agency and day run 1..N."""
    last = dict(
        inst.sql(
            "select distinct on (dossier_id) dossier_id, state_after from onestop_dossierevent "
            "order by dossier_id, id desc"
        )
    )
    for dossier_id, state in inst.sql("select id, state from onestop_dossier"):
        assert last.get(dossier_id) == state, (dossier_id, state, last.get(dossier_id))
    twice = inst.sql(
        "select dossier_id, action, count(*) from onestop_dossierevent "
        "where action in ('accept', 'forward') group by 1, 2 having count(*) > 1"
    )
    assert twice == []
    series = defaultdict(list)
    for (code,) in inst.sql("select code from onestop_dossier where code is not null"):
        head, seq = re.fullmatch(r"(.+)-(\d{4,})", code).groups()
        series[head].append(int(seq))
    for head, seqs in series.items():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), head
    lasts = sorted(
        last
        for (last,) in inst.sql(
            "select last from onestop_codesequence where key like ?", "dossier:%"
        )
    )
    assert lasts == sorted(len(s) for s in series.values())


def assert_numbers_gap_free(inst: FaultInstance, agency: str, uids: list[str], log: Log) -> None:
    rows = inst.sql(
        "select d.id, d.uid::text, d.number, d.number_notation, d.status "
        "from documents_outgoingdocument d join directory_agency a on a.id = d.agency_id "
        "where a.code = ?",
        agency,
    )
    numbers = sorted(r[2] for r in rows if r[2] is not None)
    assert numbers == list(range(1, len(numbers) + 1)), numbers  # no gap, no duplicate
    registers = inst.sql(
        "select r.last_number from documents_register r join directory_agency a "
        "on a.id = r.agency_id where a.code = ? and r.direction = 'outgoing'",
        agency,
    )
    assert sum(n for (n,) in registers) == len(numbers)  # nothing taken and then lost
    by_uid = {r[1]: r for r in rows}
    audit = Counter(
        n
        for (n,) in inst.sql(
            "select summary->>'number_notation' from audit_auditentry "
            "where action = 'documents.number'"
        )
    )
    stamped = Counter(
        o
        for (o,) in inst.sql(
            "select outgoing_id from documents_documentfile where role = 'numbered'"
        )
    )
    for uid in uids:
        doc_id, _, number, notation, status = by_uid[uid]
        assert number is not None and status == "numbered", (uid, status)
        assert audit[notation] == 1, notation
        assert stamped[doc_id] == 1, uid
        told = log.acknowledged("number", uid)
        if told and told.status == 200:
            assert told.body["number_notation"] == notation


def stored_files(inst: FaultInstance) -> set[str]:
    root = inst.media
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def named_files(inst: FaultInstance) -> set[str]:
    names: set[str] = set()
    for table, column in inst.seeded["columns"]:
        names.update(n for (n,) in inst.sql(f"select {column} from {table}") if n)  # noqa: S608
    return names


def quiet(inst: FaultInstance) -> None:
    """Until the worker has nothing left to do (tasks waiting or running, messages)."""
    wait_for(
        lambda: (
            inst.sql(
                "select count(*) from django_tasks_database_dbtaskresult where status = 'READY' "
                "or (status = 'RUNNING' and started_at > now() - interval '5 seconds')"
            )
            == [(0,)]
        ),
        120,
        "the worker to finish its tasks",
    )


def assert_files_whole(inst: FaultInstance) -> None:
    """No row without its file; the sweep takes the files without a row, and only them."""
    quiet(inst)
    named = named_files(inst)
    assert named - stored_files(inst) == set()
    orphans = stored_files(inst) - named
    # a grace of a few seconds: files a live task is storing right now are not orphans
    swept = inst.manage_out("files", "sweep", "--older-than-hours", "0.001")
    assert swept.returncode == 0, swept.stderr
    assert set(swept.stdout.splitlines()[:-1]) <= orphans, swept.stdout
    assert stored_files(inst) == named_files(inst)


def assert_messages_delivered_once(
    inst: FaultInstance, gateway: Gateway, kills: int, before: Counter[str]
) -> None:
    """Every message sent and recorded once; the provider got each SMS, and got one again
    (same Idempotency-Key) at most once per killed worker since `before`."""
    wait_for(
        lambda: inst.sql("select count(*) from notify_message where status <> 'sent'") == [(0,)],
        150,
        "every message to be sent",
    )
    rows = inst.sql(
        "select m.uid::text, m.channel, count(s.id) from notify_message m "
        "left join notify_sentmessage s on s.message_id = m.id group by 1, 2"
    )
    assert all(recorded == 1 for _, _, recorded in rows)
    received = gateway.counts()
    sms = {uid for uid, channel, _ in rows if channel == "sms"}
    assert sms <= set(received)  # none lost
    repeated = {u: n for u, n in (received - before).items() if received[u] > 1}
    assert len(repeated) <= kills and all(n == 2 for n in repeated.values()), repeated


def audit_verifies(inst: FaultInstance) -> None:
    done = inst.manage_out("audit", "verify")
    assert done.returncode == 0, done.stdout + done.stderr


# ---------------------------------------------------------------------------------------
# The tests


def test_kill_9_of_a_web_worker_mid_transitions_loses_and_repeats_none(inst):
    rng = random.Random(SEED)
    uids = inst.run("dossiers", "12", "tr")["dossiers"]
    before = versions(inst, uids)
    log = Log()
    kill_at = rng.randint(3, 8)
    killed = run_load(
        [transition_job(inst, log, uid) for uid in uids],
        threads=THREADS,
        kill_when=lambda: log.answered >= kill_at,
        kill=lambda: kill_one_web_worker(inst, rng),
    )
    assert killed
    assert any(r.status is None for rs in log.replies.values() for r in rs), "nothing was cut"
    inst.wait_web()
    redo_transitions(inst, log, uids)
    assert_transitions_whole(inst, log, uids, before)
    assert_dossiers_consistent(inst)


def test_kill_9_of_a_web_worker_mid_numbering_leaves_no_gap_and_no_duplicate(inst):
    rng = random.Random(SEED + 1)
    uids = inst.run("signed", "H99.10", "12")["documents"]
    log = Log()
    kill_at = rng.randint(3, 8)
    killed = run_load(
        [numbering_job(inst, log, "clerk_H99.10", uid) for uid in uids],
        threads=THREADS,
        kill_when=lambda: log.answered >= kill_at,
        kill=lambda: kill_one_web_worker(inst, rng),
    )
    assert killed
    inst.wait_web()
    redo_numbering(inst, log, "clerk_H99.10", uids)
    assert_numbers_gap_free(inst, "H99.10", uids, log)


def test_kill_9_of_the_task_worker_mid_delivery_delivers_every_message_once(inst, gateway):
    rng = random.Random(SEED + 2)
    quiet(inst)
    start = gateway.counts()
    inst.kill_worker()  # (idle) so that the burst starts when the worker does
    uids = inst.run("messages", "40", "notify")["messages"]
    kills = 0
    for _ in range(2):  # twice, at different moments of the burst
        target = len(gateway.counts()) + rng.randint(3, 12)
        inst.start_worker()
        wait_for(lambda t=target: len(gateway.counts()) >= t, 90, "deliveries", 0.005)
        time.sleep(rng.uniform(0, 0.03))
        inst.kill_worker()
        kills += 1
        assert inst.sql(
            "select count(*) from notify_message where uid::text = any(?) and status <> 'sent'",
            uids,
        ) != [(0,)], "the worker was killed after it had finished"
    inst.start_worker()
    assert_messages_delivered_once(inst, gateway, kills, start)
    assert set(uids) <= set(gateway.counts())


def test_kill_9_of_a_web_worker_mid_upload_leaves_no_orphan_file_after_the_sweep(inst):
    rng = random.Random(SEED + 3)
    contents = {f"up{i}": paper(i, rng) for i in range(12)}
    before = {u for (u,) in inst.sql("select uid::text from onestop_dossier")}
    log = Log()
    kill_at = rng.randint(2, 6)
    killed = run_load(
        [upload_job(inst, log, key, data) for key, data in contents.items()],
        threads=THREADS,
        kill_when=lambda: log.answered >= kill_at,
        kill=lambda: kill_one_web_worker(inst, rng),
    )
    assert killed
    inst.wait_web()
    # the officer's uploads (the worker also attaches the declaration it renders)
    rows = inst.sql(
        "select d.uid::text, f.sha256, f.file from onestop_dossier d "
        "join onestop_dossierfile f on f.dossier_id = d.id "
        "where f.kind = 'paper' and f.original_name ~ '^up[0-9]+[.]pdf$'"
    )
    files_of = defaultdict(list)
    for uid, digest, name in rows:
        files_of[uid].append((digest, name))
    new = {u for (u,) in inst.sql("select uid::text from onestop_dossier")} - before
    lost_answers = sum(1 for k in contents if log.acknowledged("upload", k) is None)
    acknowledged = 0
    for key, data in contents.items():
        told = log.acknowledged("upload", key)
        if told is None:
            continue
        acknowledged += 1
        uid = told.body["uid"]  # stored, with the very file the officer sent
        assert [d for d, _ in files_of[uid]] == [sha256(data)], key
        assert (inst.media / files_of[uid][0][1]).read_bytes() == data
    # every new dossier has its one paper; those beyond the acknowledged ones were
    # committed while their answer was cut (at most one per killed worker)
    assert all(len(files_of[uid]) == 1 for uid in new)
    assert acknowledged <= len(new) <= acknowledged + min(1, lost_answers)
    assert_files_whole(inst)


def test_kill_9_of_tinhso_serve_mid_mix_loses_nothing_and_the_audit_chain_verifies(inst, gateway):
    rng = random.Random(SEED + 4)
    dossiers = inst.run("dossiers", "10", "sv")["dossiers"]
    documents = inst.run("signed", "H99.20", "10")["documents"]
    contents = {f"sv{i}": paper(100 + i, rng) for i in range(8)}
    before = versions(inst, dossiers)
    start = gateway.counts()
    inst.stop()  # the separate web server and worker make way for `tinhso serve`
    time.sleep(0.5)
    inst.start_serve(workers=2)
    log = Log()
    jobs = [transition_job(inst, log, uid) for uid in dossiers]
    jobs += [numbering_job(inst, log, "clerk_H99.20", uid) for uid in documents]
    jobs += [upload_job(inst, log, key, data) for key, data in contents.items()]
    rng.shuffle(jobs)
    kill_at = rng.randint(4, 14)
    killed = run_load(
        jobs, threads=THREADS, kill_when=lambda: log.answered >= kill_at, kill=inst.kill_serve
    )
    assert killed
    inst.start_serve(workers=2)
    try:
        redo_transitions(inst, log, dossiers)
        redo_numbering(inst, log, "clerk_H99.20", documents)
        assert_transitions_whole(inst, log, dossiers, before)
        assert_dossiers_consistent(inst)
        assert_numbers_gap_free(inst, "H99.20", documents, log)
        for key in contents:
            told = log.acknowledged("upload", key)
            if told is not None:
                rows = inst.sql(
                    "select f.sha256 from onestop_dossierfile f join onestop_dossier d "
                    "on d.id = f.dossier_id where d.uid::text = ? and f.kind = 'paper' "
                    "and f.original_name = ?",
                    told.body["uid"],
                    f"{key}.pdf",
                )
                assert rows == [(sha256(contents[key]),)]
        # the serve's worker was killed too: whatever it was delivering, once
        assert_messages_delivered_once(inst, gateway, 1, start)
        assert_files_whole(inst)
        audit_verifies(inst)
    finally:
        inst.kill_serve(signal.SIGTERM)
        inst.start_web(workers=2)
        inst.start_worker()
