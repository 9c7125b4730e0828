"""A province's peak hour on tinhso, as Locust users with think times.

`benchmarks/load.py` prepares the province (the demo province on PostgreSQL), writes the
world this file reads (`LOAD_WORLD`: sessions of officials and citizens, procedure codes,
dossier codes to look up, an API token) and runs Locust headless. Run by hand with:

    LOAD_WORLD=var/load/world.json .venv/bin/locust -f benchmarks/load/locustfile.py \
        --headless -u 250 -r 25 -t 2m -H http://127.0.0.1:8000

The mix (share of concurrent users) and where it comes from (`shared/domain/scale.md`):

| user | share | think time | why |
|---|---|---|---|
| anonymous visitor: portal, catalogue search, procedure page, lookup, open data | 50 % | 5–15 s | most traffic is reading; lookups by code are what citizens do most after submitting |
| citizen signed in: search, procedure, submit a dossier with a paper, pay (sandbox), my dossiers | 15 % | 10–30 s | 355,164 dossiers a year (Nghệ An), 45 % online: ~700 online submissions a working day |
| one-stop officer / specialist: queue, dossier page, an action | 10 % | 8–20 s | 41 agencies, ~1,400 dossiers a working day, each moved 5–7 times |
| clerk: documents desk, register an incoming document, search | 15 % | 8–20 s | 2,898,460 incoming documents a year: the largest volume of all |
| leader: documents desk, outgoing documents, search | 5 % | 10–30 s | 443,752 outgoing documents a year, 71–95 % signed |
| API consumer (LGSP systems): lookup and catalogue over the REST API | 5 % | 1–5 s | machine callers, short gaps |

Logins are not in the mix: officials sign in once a day, and their sessions (password
and one-time code passed) are prepared by `load.py`. Each request is named by its kind
(`[citizen] submit`), so the figures read per kind.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import threading
from http.cookiejar import Cookie
from pathlib import Path
from urllib.parse import urlencode

import windows  # noqa: F401 (per-window figures for benchmarks/soak.py, when it asks)
from forms import form_values, incoming_values, main_form
from locust import FastHttpUser, between, task
from lxml import html as lxml_html

WORLD = json.loads(Path(os.environ.get("LOAD_WORLD", "var/load/world.json")).read_text())
DOSSIER_LINK = re.compile(r'href="(/onestop/ho-so/[0-9a-f-]{36}/)"')
INCOMING_LINK = re.compile(r'href="(/documents/incoming/[0-9a-f-]{36}/)"')
OUTGOING_LINK = re.compile(r'href="(/documents/outgoing/[0-9a-f-]{36}/)"')
_lock = threading.Lock()
_accounts: dict[str, itertools.cycle] = {}


def next_account(kind: str) -> dict:
    """Sessions are handed out in turn: many simulated users share a few officials."""
    with _lock:
        if kind not in _accounts:
            _accounts[kind] = itertools.cycle(WORLD["sessions"][kind])
        return next(_accounts[kind])


def session_cookie(name: str, value: str) -> Cookie:
    """A cookie the jar sends to any host, as a browser that signed in would."""
    return Cookie(
        0, name, value, None, False, "", False, False, "/", True, False, None, True, None, None, {}
    )


class User(FastHttpUser):
    """Locust's geventhttpclient user: the load generator shares the two cores with the
    platform, and python-requests cost it 1.5 ms of CPU a request (a fifth of a core at
    150 requests/s) that the web processes did not get."""

    abstract = True


class SignedIn(User):
    abstract = True
    kind = ""

    def on_start(self) -> None:
        account = next_account(self.kind)
        self.username = account["username"]
        for name, value in account["cookies"].items():
            self.client.cookiejar.set_cookie(session_cookie(name, value))

    def post_form(
        self,
        page_url: str,
        form,
        overrides: dict | None = None,
        *,
        name: str,
        redirect_to: str = "",
    ):
        """Send the form as a person would. With `redirect_to`, only a redirect to a URL
        containing it counts as done (a form shown again with its errors answers 200)."""
        data, files = form_values(form, overrides)
        action = form.get("action") or page_url
        headers = {"Referer": self.host + page_url}
        if not files:  # a select of several values is sent as several fields
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        with self.client.post(
            action,
            data=data if files else urlencode(data, doseq=True),
            files=files or None,
            headers=headers,
            name=name,
            catch_response=True,
            allow_redirects=False,
        ) as response:
            location = response.headers.get("Location") or ""
            if redirect_to and not (response.status_code == 302 and redirect_to in location):
                response.failure(f"refused ({response.status_code})")
            elif response.status_code in (200, 302, 303):
                response.success()
            return response


class AnonymousVisitor(User):
    """Reads: portal home, catalogue search, a procedure page, a lookup, open data."""

    weight = 50
    wait_time = between(5, 15)

    @task(4)
    def catalogue_search(self) -> None:
        term = random.choice(WORLD["search_terms"])
        self.client.get("/onestop/thu-tuc/", params={"q": term}, name="[public] catalogue search")

    @task(4)
    def procedure_page(self) -> None:
        code = random.choice(WORLD["procedures"])
        self.client.get(f"/onestop/thu-tuc/{code}/", name="[public] procedure page")

    @task(4)
    def lookup(self) -> None:
        code, secret = random.choice(WORLD["lookups"])
        self.client.get(
            "/onestop/tra-cuu/",
            params={"code": code, "secret": secret},
            name="[public] dossier lookup",
        )

    @task(3)
    def portal_home(self) -> None:
        self.client.get("/", name="[public] portal home")

    @task(1)
    def open_data(self) -> None:
        self.client.get(
            "/api/3/action/package_search",
            params={"q": random.choice(["dân số", "ngân sách", "giáo dục", "y tế"])},
            name="[public] open data search",
        )


class Citizen(SignedIn):
    """Search, read, submit a dossier with its papers, pay in the sandbox, follow it."""

    weight = 15
    kind = "citizen"
    wait_time = between(10, 30)

    @task(3)
    def search_and_read(self) -> None:
        term = random.choice(WORLD["search_terms"])
        self.client.get("/onestop/thu-tuc/", params={"q": term}, name="[citizen] catalogue search")
        code = random.choice(WORLD["procedures"])
        self.client.get(f"/onestop/thu-tuc/{code}/", name="[citizen] procedure page")

    @task(3)
    def my_dossiers(self) -> None:
        response = self.client.get("/onestop/ho-so-cua-toi/", name="[citizen] my dossiers")
        links = DOSSIER_LINK.findall(response.text or "")
        if links:
            self.client.get(random.choice(links), name="[citizen] dossier page")

    @task(2)
    def submit_and_pay(self) -> None:
        code = random.choice(WORLD["submittable"])
        url = f"/onestop/thu-tuc/{code}/nop-ho-so/"
        page = self.client.get(url, name="[citizen] submit form")
        form = main_form(page.text if page.status_code == 200 else "")
        if form is None:
            return
        response = self.post_form(url, form, name="[citizen] submit", redirect_to="/ho-so/")
        if response.status_code != 302:
            return
        dossier = self.client.get(response.headers["Location"], name="[citizen] dossier page")
        pay = re.search(
            r'href="(/onestop/ho-so/[0-9a-f-]{36}/thanh-toan/[0-9a-f-]{36}/)"', dossier.text or ""
        )
        if pay:
            pay_page = self.client.get(pay.group(1), name="[citizen] payment page")
            form = main_form(pay_page.text if pay_page.status_code == 200 else "")
            if form is not None:
                self.post_form(pay.group(1), form, name="[citizen] pay (sandbox)")

    @task(1)
    def lookup(self) -> None:
        code, secret = random.choice(WORLD["lookups"])
        self.client.get(
            "/onestop/tra-cuu/",
            params={"code": code, "secret": secret},
            name="[citizen] dossier lookup",
        )


class OnestopOfficer(SignedIn):
    """The queue, a dossier, and the next action the dossier offers."""

    weight = 10
    kind = "officer"
    wait_time = between(8, 20)

    @task(3)
    def queue(self) -> None:
        self.client.get("/onestop/xu-ly/", name="[officer] queue")

    @task(3)
    def handle_one(self) -> None:
        queue = self.client.get("/onestop/xu-ly/", name="[officer] queue")
        links = DOSSIER_LINK.findall(queue.text or "")
        if not links:
            return
        url = random.choice(links[:20])
        page = self.client.get(url, name="[officer] dossier page")
        tree = lxml_html.fromstring(page.text) if page.status_code == 200 else None
        actions = [
            f
            for f in (tree.forms if tree is not None else [])
            if "/xu-ly/" in (f.get("action") or "") and f.get("method", "").lower() == "post"
        ]
        if actions:
            self.post_form(url, random.choice(actions), name="[officer] dossier action")


class Clerk(SignedIn):
    """The documents desk, registering an incoming paper document, search."""

    weight = 15
    kind = "clerk"
    wait_time = between(8, 20)

    @task(3)
    def desk(self) -> None:
        desk = self.client.get("/documents/", name="[clerk] documents desk")
        links = INCOMING_LINK.findall(desk.text or "")
        if links:
            self.client.get(random.choice(links[:20]), name="[clerk] incoming document")

    @task(2)
    def register_incoming(self) -> None:
        url = "/documents/incoming/new/"
        page = self.client.get(url, name="[clerk] register form")
        form = main_form(page.text if page.status_code == 200 else "")
        if form is None:
            return
        number = random.randint(1, 10**7)  # a repeated number and sender is a duplicate
        self.post_form(
            url,
            form,
            incoming_values(number),
            name="[clerk] register incoming",
            redirect_to="/documents/incoming/",
        )

    @task(2)
    def search(self) -> None:
        self.client.get(
            "/documents/search/",
            params={"q": random.choice(WORLD["document_terms"])},
            name="[clerk] document search",
        )


class Leader(SignedIn):
    """The desk, outgoing documents waiting for them, search."""

    weight = 5
    kind = "leader"
    wait_time = between(10, 30)

    @task(3)
    def desk(self) -> None:
        desk = self.client.get("/documents/", name="[leader] documents desk")
        links = OUTGOING_LINK.findall(desk.text or "") + INCOMING_LINK.findall(desk.text or "")
        if links:
            self.client.get(random.choice(links[:20]), name="[leader] document page")

    @task(1)
    def search(self) -> None:
        self.client.get(
            "/documents/search/",
            params={"q": random.choice(WORLD["document_terms"])},
            name="[leader] document search",
        )

    @task(1)
    def statistics(self) -> None:
        self.client.get("/documents/statistics/", name="[leader] documents statistics")


class ApiConsumer(User):
    """A provincial system over the REST API with its token."""

    weight = 5
    wait_time = between(1, 5)

    default_headers = {"Authorization": f"Token {WORLD['api_token']}"}

    @task(2)
    def lookup(self) -> None:
        code, secret = random.choice(WORLD["lookups"])
        self.client.get(
            "/api/v1/onestop/lookup/",
            params={"code": code, "secret": secret},
            name="[api] dossier lookup",
        )

    @task(1)
    def catalogue(self) -> None:
        self.client.get(
            "/api/v1/onestop/procedures/",
            params={"q": random.choice(WORLD["search_terms"])},
            name="[api] procedures",
        )
