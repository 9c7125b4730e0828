"""Crawl the running demo as each role and report broken pages (not part of the suite).

    TINHSO_VAR_DIR=/tmp/qa-demo .venv/bin/tinhso migrate && ... tinhso demo
    TINHSO_VAR_DIR=/tmp/qa-demo DEBUG=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0 \
        .venv/bin/tinhso serve --port 8765 &
    TINHSO_VAR_DIR=/tmp/qa-demo .venv/bin/python tests/qa/crawl_demo.py anon congdan.an admin

Logs in (password TinhSo@2026, one-time code from `tinhso otp-code`), follows every
same-origin link from the home page (at most MAXP pages per role, six of each URL shape)
and prints HTTP >= 500, 4xx from internal links, console errors (CSP included), pages
without <h1> and form inputs without a label. LANG_EN=1 crawls in English; screenshots
of key pages go to SHOTS_DIR; WIDTH=390 crawls at a phone's width.
"""

import os
import re
import subprocess
import sys
import time
from urllib.parse import urldefrag, urljoin, urlparse

from playwright.sync_api import sync_playwright

BASE = os.environ.get("BASE_URL", "http://127.0.0.1:8765")
SHOTS_DIR = os.environ.get("SHOTS_DIR", "/tmp/qa")
ENV = dict(os.environ, TINHSO_VAR_DIR=os.environ.get("TINHSO_VAR_DIR", "/tmp/qa-demo"))
SKIP = re.compile(r"^/(i18n/|admin/|api/|accounts/logout|static/|media/)|/(xuat\.|dang-xuat)")
MAXP = int(os.environ.get("MAXP", "300"))
WIDTH = int(os.environ.get("WIDTH", "1280"))  # WIDTH=390 walks as a phone


def otp_code(user):
    return (
        subprocess.check_output(
            [os.path.join(os.path.dirname(sys.executable), "tinhso"), "otp-code", user], env=ENV
        )
        .decode()
        .strip()
        .split()[-1]
    )


def login(page, user):
    page.goto(BASE + "/accounts/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "TinhSo@2026")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/otp" in page.url:
        page.fill("input[name=code]", otp_code(user))
        page.click("main button[type=submit]")
        page.wait_for_load_state()
    return page.url


def crawl(browser, user, shots):
    ctx = browser.new_context(
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        viewport={"width": WIDTH, "height": 900 if WIDTH > 600 else 844},
    )
    if os.environ.get("LANG_EN"):
        ctx.add_cookies(
            [{"name": os.environ.get("LANG_COOKIE", "django_language"), "value": "en", "url": BASE}]
        )
    page = ctx.new_page()
    page.set_default_timeout(20000)
    console = []
    page.on(
        "console",
        lambda m: console.append((m.type, m.text)) if m.type in ("error", "warning") else None,
    )
    page.on("pageerror", lambda e: console.append(("pageerror", str(e))))
    issues = []
    if user:
        after = login(page, user)
        print(f"   {user} logged in, landed on {after}")
    seen, queue = set(), ["/"]
    pats = {}
    n = 0
    while queue and n < MAXP:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        # limit many pages of same shape
        shape = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}|\d+", "N", path.split("?")[0])
        pats[shape] = pats.get(shape, 0) + 1
        if pats[shape] > 6:
            continue
        n += 1
        try:
            r = ctx.request.get(BASE + path, max_redirects=0)
        except Exception as e:
            issues.append(("error", path, str(e)[:200]))
            continue
        st = r.status
        ct = r.headers.get("content-type", "")
        if st >= 500 or st == 404:
            issues.append((f"HTTP{st}", path, r.text()[:300] if st >= 500 else ""))
            continue
        if st in (301, 302):
            loc = r.headers.get("location", "")
            if loc.startswith(BASE):
                loc = loc[len(BASE) :]
            if loc.startswith("/") and not SKIP.search(loc):
                queue.append(loc)
            continue
        if st >= 400:
            issues.append((f"HTTP{st}", path, ""))
            continue
        if "text/html" not in ct:
            continue
        console.clear()
        page.goto(BASE + path)
        page.wait_for_load_state("networkidle")
        for t, txt in console:
            issues.append(("console-" + t, path, txt[:300]))
        if page.locator("h1").count() == 0:
            issues.append(("no-h1", path, ""))
        unl = page.evaluate("""() => {
          const out=[];
          for (const el of document.querySelectorAll('input,select,textarea')) {
            if (['hidden','submit','button','reset','image'].includes(el.type)) continue;
            if (el.getAttribute('aria-label')||el.getAttribute('aria-labelledby')||el.title) continue;
            if (el.labels && el.labels.length) continue;
            out.push((el.name||el.id||el.type));
          }
          return out;}""")
        if unl:
            issues.append(("unlabelled", path, ",".join(unl)))
        hrefs = page.evaluate(
            "() => Array.from(document.querySelectorAll('a[href]')).map(a=>a.getAttribute('href'))"
        )
        for h in hrefs:
            full = urldefrag(urljoin(BASE + path, h))[0]
            u = urlparse(full)
            if u.netloc != urlparse(BASE).netloc:
                continue
            p = u.path + (("?" + u.query) if u.query else "")
            if SKIP.search(p):
                continue
            if p not in seen:
                queue.append(p)
        for key, rx in shots.items():
            if re.search(rx, path) and not os.path.exists(
                f"{SHOTS_DIR}/shot{os.environ.get('SFX', '')}-{user or 'anon'}-{key}.png"
            ):
                page.screenshot(
                    path=f"{SHOTS_DIR}/shot{os.environ.get('SFX', '')}-{user or 'anon'}-{key}.png",
                    full_page=True,
                )
    ctx.close()
    return n, issues


SHOTS = {
    "home": r"^/$",
    "queue": r"^/onestop/xu-ly/$",
    "dossier": r"^/onestop/ho-so/[0-9a-f-]+/$",
    "documents": r"^/documents/$",
    "directory": r"^/directory/$",
    "verify": r"^/signing/verify/$",
    "catalog": r"^/onestop/thu-tuc/$",
    "onestop": r"^/onestop/$",
    "certs": r"^/signing/certificates/$",
}

if __name__ == "__main__":
    os.makedirs(SHOTS_DIR, exist_ok=True)
    users = sys.argv[1:]
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        for u in users:
            uu = None if u == "anon" else u
            t = time.time()
            n, issues = crawl(b, uu, SHOTS)
            print(f"=== {u}: {n} pages in {time.time() - t:.0f}s, {len(issues)} issues")
            for i in issues:
                print("  ", *i)
            sys.stdout.flush()
        b.close()
