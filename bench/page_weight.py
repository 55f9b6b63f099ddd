"""Weight of each page as a phone downloads it: HTML, CSS, scripts and images, in bytes.

    .venv/bin/python bench/page_weight.py

Seeds the demo into a throwaway embedded database (SQLite, tasks in-process), serves it on a free
127.0.0.1 port, and has headless Chromium (/usr/bin/chromium) load each page at 360 px wide, as
a shopper, a farmer and an NGO officer. Bytes are as served (uncompressed: compression is the
deployment's proxy's job) and nothing is cached between pages.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tests.e2e.chromium import PHONE, launch  # noqa: E402 - the project root is on the path only now


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_demo(workdir: Path) -> dict:
    """Point this process at a throwaway database, seed the demo, and return what the pages need."""
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        MEDIA_ROOT=str(workdir / "media"),
        PRIVATE_MEDIA_ROOT=str(workdir / "private"),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count

    from farmers.models import NGO, Farmer, VerificationState
    from shop.selectors import visible_products

    call_command("migrate", verbosity=0)
    call_command("seed_demo", "--products", "60", verbosity=0)
    product = visible_products().first()
    ngo = NGO.objects.order_by("pk").first()
    return {
        "product": product.slug,
        "village": product.village.slug,
        "farmer": Farmer.objects.filter(village__in=ngo.villages.all()).first().pk,
        "ngo_user": ngo.staff.first().username,
        "farmer_user": Farmer.objects.filter(user__isnull=False, verification_state=VerificationState.VERIFIED)
        .annotate(listed=Count("products"))
        .order_by("-listed", "pk")
        .first()
        .user.username,
    }


def start_server() -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, str(ROOT / "manage.py"), "runserver", "--noreload", f"127.0.0.1:{port}"]
    server = subprocess.Popen(command, env=os.environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603 - our own fixed command
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            with urllib.request.urlopen(base + "/", timeout=1):  # noqa: S310 - our own server on loopback
                break
        except OSError:
            time.sleep(0.2)
    return server, base


def weigh(browser, storage_state, url: str) -> tuple[int, int]:
    """Load one page in a fresh context (empty cache), carrying only the log-in cookies."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", storage_state=storage_state)
    page = context.new_page()
    sizes = []
    page.on("requestfinished", lambda request: sizes.append(request.sizes()["responseBodySize"]))
    page.goto(url, wait_until="networkidle")
    landed = page.url
    context.close()
    if urllib.parse.unquote(landed.split("?")[0]) != url:
        raise RuntimeError(f"{url} went to {landed}: not logged in?")
    return sum(sizes), len(sizes)


def log_in(context, base: str, username: str) -> None:
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "demo")
    page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    page.close()


def main():
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        ids = prepare_demo(Path(tmp))
        server, base = start_server()
        try:
            visits = [
                (
                    "shopper",
                    None,
                    [
                        ("home", "/"),
                        ("product", f"/p/{ids['product']}/"),
                        ("village", f"/v/{ids['village']}/"),
                        ("log in", "/accounts/login/"),
                        ("sign up", "/accounts/signup/"),
                    ],
                ),
                (
                    "farmer",
                    ids["farmer_user"],
                    [("my products", "/farmer/products/"), ("new listing", "/farmer/products/new/")],
                ),
                (
                    "NGO officer",
                    ids["ngo_user"],
                    [("pending farmers", "/ngo/"), ("farmer record", f"/ngo/farmers/{ids['farmer']}/")],
                ),
            ]
            print(f"{'page':<20}{'as':<14}{'bytes':>10}{'requests':>10}")
            with sync_playwright() as playwright:
                browser = launch(playwright)
                for who, username, pages in visits:
                    context = browser.new_context(viewport=PHONE, locale="zh-CN")
                    if username:
                        log_in(context, base, username)
                    state = context.storage_state()
                    context.close()
                    for name, path in pages:
                        total, requests = weigh(browser, state, base + path)
                        print(f"{name:<20}{who:<14}{total:>10,}{requests:>10}")
                browser.close()
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
