"""Weight of each page as a phone downloads it: HTML, CSS, scripts and images, in bytes.

    .venv/bin/python bench/page_weight.py

Seeds the demo into a throwaway embedded database (SQLite, tasks in-process), serves it on a free
127.0.0.1 port, and has headless Chromium (/usr/bin/chromium) load each page at 360 px wide, as
a shopper, a farmer and an NGO officer. Bytes are as served (uncompressed: compression is the
deployment's proxy's job) and nothing is cached between pages. The cart and checkout pages need a
cart: a guest's browser fills it through the product pages and the checkout forms, and each page
is weighed on the way in a fresh context carrying that browser's cookies. A page over 100 KB before
images (HTML, CSS, scripts, fonts) is marked OVER: the budget of a shopper's page on a slow phone
connection, photos aside.
"""

import os
import re
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
BUDGET = 100 * 1024  # bytes before images
SHOPPER_EMAIL = "shopper@example.com"
SHOPPER_PASSWORD = "bench-shopper-2024"  # noqa: S105 - a throwaway database's account
ADDRESS = {
    "email": "guest@example.com",
    "recipient": "陈小姐",
    "phone": "13800138000",
    "city": "广州市",
    "district": "天河区",
    "street": "天河路 385 号",
}
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
        "ngo_village": ngo.villages.order_by("pk").first().pk,
        "farmer_user": Farmer.objects.filter(user__isnull=False, verification_state=VerificationState.VERIFIED)
        .annotate(listed=Count("products"))
        .order_by("-listed", "pk")
        .first()
        .user.username,
        "cart": cart_goods(),
        "shopper": shopper_with_an_order(),
    }


def cart_goods() -> list[str]:
    """Slugs of three goods in stock, two of one farmer and one of another: a cart of two parcels."""
    from shop.selectors import visible_products

    by_farmer: dict[int, list[str]] = {}
    for farmer, slug in (
        visible_products().filter(farmer__isnull=False, in_stock=True).order_by("pk").values_list("farmer", "slug")
    ):
        by_farmer.setdefault(farmer, []).append(slug)
    two = next(slugs for slugs in by_farmer.values() if len(slugs) >= 2)
    other = next(slugs for slugs in by_farmer.values() if slugs is not two)
    return [*two[:2], other[0]]


def shopper_with_an_order() -> str:
    """A shopper's account (core.shoppers) with one order placed through the checkout services, so
    "my orders" lists something."""
    from core.shoppers import register_shopper
    from shop import checkout
    from shop.models import Variant
    from shop.shipping import active_methods

    user = register_shopper(SHOPPER_EMAIL, SHOPPER_PASSWORD)
    variant = Variant.objects.filter(product__slug=cart_goods()[0], stock__gt=0).first()
    cart = checkout.create_checkout(user, lines=[checkout.LineRequest(variant, 1)])
    address = {name: value for name, value in ADDRESS.items() if name != "email"}
    checkout.update_contact(cart, email=SHOPPER_EMAIL, address={**address, "province": "广东省"})
    checkout.update_delivery_method(cart, active_methods().first())
    checkout.place_order(user, cart, "offline")
    return user.username


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


def weigh(browser, storage_state, url: str) -> tuple[int, int, int]:
    """Load one page in a fresh context (empty cache), carrying only the browser's cookies: bytes,
    requests, and bytes of everything but images."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN", storage_state=storage_state)
    page = context.new_page()
    sizes = []
    page.on(
        "requestfinished",
        lambda request: sizes.append((request.sizes()["responseBodySize"], request.resource_type == "image")),
    )
    page.goto(url, wait_until="networkidle")
    landed = page.url
    context.close()
    if urllib.parse.unquote(landed.split("?")[0]) != url:
        raise RuntimeError(f"{url} went to {landed}: not logged in, or no cart?")
    return sum(size for size, _image in sizes), len(sizes), sum(size for size, image in sizes if not image)


def log_in(context, base: str, username: str, password: str) -> None:
    page = context.new_page()
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.locator("form[method=post] button[type=submit]").last.click()
    page.wait_for_load_state("networkidle")
    page.close()


def submit(page, form: str, lands_on: str) -> None:
    """Submit a page's form and wait for the page it leads to."""
    with page.expect_navigation(url=re.compile(lands_on), wait_until="networkidle"):
        page.locator(f"{form} button[type=submit]").last.click()


def guest_checkout(browser, base: str, slugs: list[str], weigh_page) -> None:
    """A guest's browser fills a cart through the product pages and walks the checkout, weighing
    each page (in a fresh context with its cookies) before it fills that page's form."""
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    for slug in slugs:
        page.goto(f"{base}/p/{slug}/", wait_until="networkidle")
        submit(page, "form.buy", r"/cart/$")
    parcels, lines = page.locator(".store-parcel").count(), page.locator(".store-line").count()
    if (parcels, lines) != (2, 3):
        raise RuntimeError(f"the cart holds {lines} lines in {parcels} parcels, not 3 in 2")
    weigh_page("cart (3 lines)", "/cart/", context.storage_state())
    weigh_page("checkout address", "/checkout/", context.storage_state())
    page.goto(base + "/checkout/", wait_until="networkidle")
    for name, value in ADDRESS.items():
        page.fill(f"[name={name}]", value)
    page.select_option("select[name=province]", "广东省")
    submit(page, "form.store-form", r"/checkout/delivery/$")
    weigh_page("checkout delivery", "/checkout/delivery/", context.storage_state())
    submit(page, "form.store-form", r"/checkout/confirm/$")
    weigh_page("checkout confirm", "/checkout/confirm/", context.storage_state())
    submit(page, "form.store-form", r"/orders/[^/]+/$")
    order = urllib.parse.urlsplit(page.url).path
    weigh_page("order (guest)", order, context.storage_state())
    context.close()


def main():
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        ids = prepare_demo(Path(tmp))
        from demo.seed import DEMO_PASSWORD

        server, base = start_server()
        try:
            visits = [
                (
                    "shopper",
                    None,
                    None,
                    [
                        ("home", "/"),
                        ("product", f"/p/{ids['product']}/"),
                        ("village", f"/v/{ids['village']}/"),
                        ("log in", "/accounts/login/"),
                        ("sign up", "/accounts/signup/"),
                    ],
                ),
                ("account", ids["shopper"], SHOPPER_PASSWORD, [("my orders", "/orders/")]),
                (
                    "farmer",
                    ids["farmer_user"],
                    DEMO_PASSWORD,
                    [("my products", "/farmer/products/"), ("new listing", "/farmer/products/new/")],
                ),
                (
                    "NGO officer",
                    ids["ngo_user"],
                    DEMO_PASSWORD,
                    [
                        ("pending farmers", "/ngo/"),
                        ("farmer record", f"/ngo/farmers/{ids['farmer']}/"),
                        ("impact dashboard", "/ngo/impact/"),
                        ("impact village", f"/ngo/impact/villages/{ids['ngo_village']}/"),
                    ],
                ),
            ]
            print(f"{'page':<20}{'as':<14}{'bytes':>10}{'requests':>10}{'no images':>11}")
            over = []

            def report(name, who, weighed):
                total, requests, before_images = weighed
                flag = "  OVER" if before_images > BUDGET else ""
                if flag:
                    over.append(name)
                print(f"{name:<20}{who:<14}{total:>10,}{requests:>10}{before_images:>11,}{flag}")

            with sync_playwright() as playwright:
                browser = launch(playwright)
                for who, username, password, pages in visits:
                    context = browser.new_context(viewport=PHONE, locale="zh-CN")
                    if username:
                        log_in(context, base, username, password)
                    state = context.storage_state()
                    context.close()
                    for name, path in pages:
                        report(name, who, weigh(browser, state, base + path))
                guest_checkout(
                    browser,
                    base,
                    ids["cart"],
                    lambda name, path, state: report(name, "guest", weigh(browser, state, base + path)),
                )
                browser.close()
            print(f"budget: {BUDGET:,} bytes before images; over it: {', '.join(over) or 'none'}")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
