"""An operator whose admin is in Chinese reads Chinese: app, model, field and column names, and the
ledger's memos and account names (stored in English, shown translated: payments.ledger_text).

The issue this answers: "PAYMENTS", "CREATED AT" and "Cash received through offline" in a Chinese
session. A verbose name that loses its translation (a new field without one, a msgid changed
without its entry) fails here."""

import re
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst

from core.models import OutboxMessage
from farmers.baselines import update_baseline
from payments import disputes, ledger_text, payouts, shopper_payments
from payments.models import Account, LedgerTransaction, PayoutDestination, WebhookEvent
from promotion import quality
from promotion.budget import Reader, get_budget
from promotion.models import ChosenProvince, ReaderChoice
from promotion.shares import record_visit, share_link_for
from search import indexing
from search.backends import get_backend
from shop.checkout import complete_checkout
from shop.models import ProductImage
from shop.orders import deliver_fulfilment, ship_fulfilment
from tests import factories as f
from tests.promotion.clicking import BROWSER, click
from tests.shop.buying import ready_checkout, variant

VIEWER = "c:" + "d" * 32

# Proper nouns and codes that stay as they are in Chinese.
ALLOWED_ENGLISH = {"Stripe", "PaymentIntent"}
OUR_APPS = ("core", "farmers", "shop", "payments", "promotion", "search")


def english_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]+", text)) - ALLOWED_ENGLISH


def untranslated(label) -> bool:
    """Shown in English under zh-hans: the same as the English, or with English words left in it."""
    with translation.override("en"):
        english = str(label)
    with translation.override("zh-hans"):
        chinese = str(label)
    return (chinese == english and bool(english_words(english))) or bool(english_words(chinese))


def admin_labels(model_admin) -> dict[str, object]:
    """What an admin's pages name: columns, filters, fields, read-only fields, actions, and the
    same for its inlines. {where: label}"""
    model = model_admin.model
    labels = {}
    names = [*model_admin.list_display, *model_admin.readonly_fields, *(model_admin.fields or [])]
    names += [name for name in model_admin.list_filter if isinstance(name, str)]
    names += [name for name, *_ in (n for n in model_admin.list_filter if isinstance(n, tuple))]
    for name in names:
        if "__" not in name:
            labels[f"{model._meta.label}.{name}"] = label_for_field(name, model, model_admin)
    for inline in model_admin.inlines:
        for name in [*(inline.fields or []), *inline.readonly_fields]:
            labels[f"{inline.model._meta.label}.{name}"] = label_for_field(name, inline.model, inline)
    for action in model_admin.actions or []:
        func = getattr(model_admin, action) if isinstance(action, str) else action
        labels[f"{model._meta.label} action {func.__name__}"] = func.short_description
    return labels


def model_labels(model) -> dict[str, object]:
    """The app's name, the model's names and every field's name. {where: label}"""
    meta = model._meta
    labels = {
        f"app {meta.app_label}": apps.get_app_config(meta.app_label).verbose_name,
        f"{meta.label} verbose_name": meta.verbose_name,
        f"{meta.label} verbose_name_plural": meta.verbose_name_plural,
    }
    for field in [*meta.fields, *meta.many_to_many]:
        if not field.auto_created:
            labels[f"{meta.label}.{field.name}"] = field.verbose_name
    return labels


def admin_models():
    registered = list(admin.site._registry)
    inline_models = [inline.model for model_admin in admin.site._registry.values() for inline in model_admin.inlines]
    ours = [model for name in OUR_APPS for model in apps.get_app_config(name).get_models()]
    return list(dict.fromkeys([*registered, *inline_models, *ours]))


def test_every_app_model_field_and_column_name_has_a_chinese_translation():
    labels = {}
    for model in admin_models():
        labels.update(model_labels(model))
    for model_admin in admin.site._registry.values():
        labels.update(admin_labels(model_admin))
    missing = {where: str(label) for where, label in labels.items() if untranslated(label)}
    assert not missing, f"no Chinese for: {missing}"


def test_every_ledger_text_is_translated_and_keeps_its_values():
    values = {"order": "00000042", "refund": "7", "click": "99", "campaign": "3", "gateway": "offline"}
    values |= {"farmer": "12", "cooperative": "5", "sponsor": "8", "payout": "4", "dispute": "6"}
    for template in ledger_text.TEMPLATES:
        names = ledger_text.PLACEHOLDER.findall(template)
        text = ledger_text.stored(template, **{name: values[name] for name in names})
        with translation.override("en"):
            assert ledger_text.shown(text) == text, "English shows what is stored"
        with translation.override("zh-hans"):
            chinese = ledger_text.shown(text)
        assert chinese != text and not english_words(chinese), (template, chinese)
        for name in names:
            if name != "gateway":
                assert values[name] in chinese, (template, chinese)
    with translation.override("zh-hans"):
        assert ledger_text.shown("Cash received through offline") == "货到付款或银行转账收款"
        assert ledger_text.shown("written by hand") == "written by hand", "an unknown memo is shown as stored"


class VisibleText(HTMLParser):
    """The text a person reads on a page (no scripts or styles); with `names_only`, only where the
    admin writes names: titles, headings, breadcrumbs, column headers, labels, filters, actions.
    Data (a product called "Category 7" in English) is left out."""

    NAME_TAGS = {"title", "h1", "h2", "h3", "caption", "th", "label", "legend", "summary"}  # th: headers only
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, names_only=False):
        super().__init__()
        self.names_only = names_only
        self.parts, self.stack = [], []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        attrs = dict(attrs)
        in_head = any(open_tag == "thead" for open_tag, _ in self.stack)
        is_name = (
            (tag in self.NAME_TAGS and (tag != "th" or "scope" in attrs or in_head))  # not a row's first cell
            or "breadcrumbs" in (attrs.get("class") or "").split()
            or (tag == "select" and attrs.get("name") == "action")
        )
        self.stack.append((tag, is_name))

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if not data.strip() or any(tag in ("script", "style") for tag, _ in self.stack):
            return
        if not self.names_only or any(is_name for _, is_name in self.stack):
            self.parts.append(data.strip())


def visible_text(response, names_only=False) -> str:
    parser = VisibleText(names_only)
    parser.feed(response.content.decode())
    return "\n".join(parser.parts)


def english_names_on(text: str, labels: dict[str, object]) -> dict[str, str]:
    found = {}
    for where, label in labels.items():
        with translation.override("en"):
            english = capfirst(str(label))
        if english_words(english) and re.search(rf"(?<![A-Za-z]){re.escape(english)}(?![A-Za-z])", text):
            found[where] = english
    return found


@pytest.fixture
def books(settings):
    """A row for every admin page: a billed click and the order it brought, paid (with the
    platform's fee), one line refunded, delivered and paid out; a cooperative, an NGO, a story, a photo, a checkout,
    a webhook event, a shared link and its visit, a reader's feed choice, a product the search engine missed. Names are
    Chinese, as on a real site: the pages' titles repeat them."""
    settings.PLATFORM_FEE_PERCENT = "2"
    # The click's day row (CampaignDay) is written at once on the database path; on Redis it
    # waits for the minute task.
    settings.PROMOTION_BUDGET_BACKEND = "database"
    operator = f.user(is_staff=True, is_superuser=True)
    goods = variant(price="39.90")
    village = goods.product.village
    capped = f.campaign(products=[goods.product], bid=Decimal("0.50"), frequency_cap=3)
    billed = click(capped, goods.product, viewer=VIEWER)
    get_budget().servable([capped], 1, timezone.now(), Reader(VIEWER))  # the reader's count of a capped campaign
    checkout = ready_checkout([(goods, 2), (variant(price="12.50"), 1)])
    order = complete_checkout(None, checkout, "offline", [VIEWER])
    ready_checkout([(goods, 1)])  # a cart not yet ordered
    shared = share_link_for(goods.product, sharer_key="c:" + "5" * 32)
    record_visit(shared, viewer_key="c:" + "6" * 32, user_agent=BROWSER)
    payment = shopper_payments.confirm_offline_payment(operator, order.payment)
    shopper_payments.refund_payment(operator, payment, lines=[order.lines.first()], reason="坏了一个")
    for fulfilment in order.fulfilments.all():
        ship_fulfilment(operator, fulfilment, "顺丰", f"SF{fulfilment.pk:010d}")
        deliver_fulfilment(operator, fulfilment)
    settings.PAYOUT_HOLD_DAYS = 0
    settings.PAYOUT_MINIMUM = "1.00"
    payouts.run()
    disputes.open_dispute(operator, payment, "买家说少了一箱")
    PayoutDestination.objects.create(
        farmer=goods.product.farmer, bank_name="农业银行", bank_account_number="6228480000001234"
    )
    f.cooperative(village_=village)
    update_baseline(village, operator, households=120, poor_households=20, poverty_line="4000", baseline_income="3600")
    f.ngo(villages=[village]).__class__.objects.update(name="乡村发展协会")
    f.story(village_=village)
    ProductImage.objects.create(product=goods.product, alt="脐橙")
    Group.objects.create(name="运营")
    WebhookEvent.objects.create(event_id="evt_1", type="payment_intent.succeeded", payload={}, outcome="paid")
    indexing.queue(get_backend(), [goods.product.pk])  # a product the search engine missed
    OutboxMessage.objects.create(task="core.tasks.process_image", args=["shop.productimage", 1])  # broker was down
    quality.fold(timezone.now())  # the feed's quality figures: the paid order's goods get a row
    ReaderChoice.objects.create(user=operator, personalised=False)
    ChosenProvince.objects.create(user=operator, province=village.county.province, chosen_at=timezone.now())
    return operator, order, billed


@pytest.mark.django_db
def test_admin_pages_in_chinese_show_no_english_names(client, books):
    operator, _order, _click = books
    client.force_login(operator)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    index = client.get(reverse("admin:index"))
    assert not english_names_on(
        visible_text(index, names_only=True), {k: v for m in admin_models() for k, v in model_labels(m).items()}
    )
    for model, model_admin in admin.site._registry.items():
        labels = model_labels(model) | admin_labels(model_admin)
        for inline in model_admin.inlines:
            labels |= model_labels(inline.model)
        info = (model._meta.app_label, model._meta.model_name)
        pages = [reverse("admin:{}_{}_changelist".format(*info))]
        first = model.objects.first()
        assert first is not None, f"{model._meta.label}: no row, so its columns would not be shown"
        pages.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
        for url in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers["Content-Language"] == "zh-hans"
            english = english_names_on(visible_text(response, names_only=True), labels)
            assert not english, f"{url} shows English names: {english}"


@pytest.mark.django_db
def test_ledger_memos_and_account_names_are_shown_in_the_operators_language(client, books):
    operator, order, billed = books
    client.force_login(operator)
    transactions = reverse("admin:payments_ledgertransaction_changelist")
    accounts = reverse("admin:payments_account_changelist")
    paid = LedgerTransaction.objects.get(key__startswith="payment:")
    assert paid.memo == f"Order {order.number} paid", "stored in English, once"

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    listed = visible_text(client.get(transactions))
    for chinese in (f"订单 {order.number} 已付款", f"订单 {order.number} 的平台服务费", "退还平台服务费"):
        assert chinese in listed
    assert f"推广活动 {billed.campaign_id} 的计费点击（点击编号 {billed.pk}）" in listed
    assert "paid" not in listed and "Refund" not in listed and "Click" not in listed
    shown = visible_text(client.get(reverse("admin:payments_ledgertransaction_change", args=[paid.pk])))
    assert f"订单 {order.number} 已付款" in shown and "货到付款或银行转账收款" in shown  # the memo and its entries
    names = visible_text(client.get(accounts))
    for chinese in ("货到付款或银行转账收款", "平台服务费收入", "应付农户", "推广点击收入", "的推广预算"):
        assert chinese in names
    assert not re.search(r"Cash|Payable|Platform|Promotion", names)
    seller = order.fulfilments.first().seller  # a payable names whom it is owed to, and where
    assert seller.name in names and f"{seller.village.county.name} · {seller.village.name}" in names
    cash = Account.objects.get(code="asset:cash:offline")
    assert "货到付款或银行转账收款" in visible_text(
        client.get(reverse("admin:payments_account_change", args=[cash.pk]))
    )

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert f"Order {order.number} paid" in visible_text(client.get(transactions))
    assert "Cash received through offline" in visible_text(client.get(accounts))
    # Searching matches the stored English, whatever the operator's language.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    assert f"订单 {order.number} 已付款" in visible_text(client.get(transactions, {"q": "paid"}))
