"""Steps of a shopper's journey in the browser, shared by the storefront journeys."""

from tests.shop.buying import ADDRESS

# An ordinary phone browser: headless Chromium's own user agent counts as a bot, whose clicks are not billed.
PHONE_BROWSER = (
    "Mozilla/5.0 (Linux; Android 10; Redmi 8A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)


def submit(page):
    """The page's own form (the header also holds the language and log-out forms)."""
    page.locator("main form[method=post] button[type=submit]").last.click()


def add_to_cart(page, base: str, product, quantity: int) -> None:
    page.goto(f"{base}/p/{product.slug}/")
    page.fill("input[name=quantity]", str(quantity))
    page.get_by_role("button", name="加入购物车").click()
    page.wait_for_url("**/cart/")


def check_out_as_guest(page, email: str) -> None:
    """From the cart to the review page: address, then the delivery method offered first."""
    page.get_by_role("link", name="去结算").click()
    page.wait_for_url("**/checkout/")
    page.fill("#id_email", email)
    page.fill("#id_recipient", ADDRESS["recipient"])
    page.fill("#id_phone", ADDRESS["phone"])
    page.select_option("#id_province", ADDRESS["province"])
    page.fill("#id_city", ADDRESS["city"])
    page.fill("#id_district", ADDRESS["district"])
    page.fill("#id_street", ADDRESS["street"])
    submit(page)
    page.wait_for_url("**/checkout/delivery/")
    submit(page)
    page.wait_for_url("**/checkout/confirm/")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
