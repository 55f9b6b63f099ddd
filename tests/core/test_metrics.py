"""Prometheus metrics through /metrics itself: who may read it, and the counters moving after
real requests, GraphQL operations, tasks, clicks and payments."""

import json

import pytest
from django.db import transaction
from prometheus_client.parser import text_string_to_metric_families

from config.celery import app
from core import metrics
from payments import shopper_payments
from promotion.models import ClickOutcome
from tests import factories as f
from tests.promotion.clicking import click
from tests.shop.buying import place_order, variant

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def scrape(client, settings):
    """The samples /metrics serves now, by (name, labels)."""
    settings.METRICS_TOKEN = TOKEN

    def read() -> dict:
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=0.0.4")
        return {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(response.content.decode())
            for sample in family.samples
        }

    return read


def moved(before: dict, after: dict, name: str, **labels) -> float:
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0.0) - before.get(key, 0.0)


def test_no_token_configured_means_no_metrics_page(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


@pytest.mark.parametrize("header", [None, "Bearer wrong", f"Basic {TOKEN}", f"Bearer {TOKEN}x", TOKEN])
def test_metrics_need_the_token(client, settings, header):
    settings.METRICS_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert b"shanhuo_" not in response.content


def test_a_request_moves_its_views_latency_and_response_counters(client, scrape):
    before = scrape()
    assert client.get("/healthz").status_code == 200
    assert client.get("/no-such-page-here/").status_code == 404
    after = scrape()
    assert moved(before, after, "shanhuo_http_responses_total", view="healthz", method="GET", status="2xx") == 1
    assert moved(before, after, "shanhuo_http_request_duration_seconds_count", view="healthz", method="GET") == 1
    assert moved(before, after, "shanhuo_http_responses_total", view="unresolved", method="GET", status="4xx") == 1


@pytest.mark.django_db
def test_graphql_operations_are_counted_by_name_and_outcome(client, scrape):
    def post(query, **extra):
        return client.post("/graphql/", json.dumps({"query": query, **extra}), content_type="application/json")

    before = scrape()
    post("query ObsCatalogPage { __typename }")
    post("query ObsCatalogPage { __typename }")
    post("{ __typename }")
    post("query ObsBroken { product(slug: 5) { name } }")  # refused by validation: never executed
    post("query ObsOne { __typename }", operationName="ObsOther")  # no such operation: an error
    after = scrape()
    counter = "shanhuo_graphql_operations_total"
    assert moved(before, after, counter, operation="ObsCatalogPage", type="query", outcome="ok") == 2
    assert moved(before, after, counter, operation="anonymous", type="query", outcome="ok") == 1
    assert moved(before, after, counter, operation="ObsBroken", type="query", outcome="error") == 0
    assert moved(before, after, counter, operation="anonymous", type="unknown", outcome="error") == 1
    assert (
        moved(
            before, after, "shanhuo_graphql_operation_duration_seconds_count", operation="ObsCatalogPage", type="query"
        )
        == 2
    )


def test_operation_names_are_bounded(monkeypatch):
    monkeypatch.setattr(metrics, "_operation_names", set())
    monkeypatch.setattr(metrics, "OPERATION_NAMES", 3)
    assert [metrics.operation_label(f"Op{i}") for i in range(5)] == ["Op0", "Op1", "Op2", "other", "other"]
    assert metrics.operation_label("Op1") == "Op1"
    assert metrics.operation_label("bad name!") == "other"
    assert metrics.operation_label("x" * 65) == "other"
    assert metrics.operation_label(None) == "anonymous"


@app.task(name="tests.core.metrics_ok")
def metrics_ok():
    return 1


@app.task(name="tests.core.metrics_fails")
def metrics_fails():
    raise RuntimeError("boom")


def test_task_runs_and_failures_are_counted(scrape):
    before = scrape()
    metrics_ok.apply()
    metrics_ok.apply()
    assert metrics_fails.apply(throw=False).failed()  # run to the end, as a worker does
    after = scrape()
    runs = "shanhuo_celery_task_runs_total"
    assert moved(before, after, runs, task="tests.core.metrics_ok", state="SUCCESS") == 2
    assert moved(before, after, runs, task="tests.core.metrics_fails", state="FAILURE") == 1
    assert moved(before, after, "shanhuo_celery_task_failures_total", task="tests.core.metrics_fails") == 1
    assert moved(before, after, "shanhuo_celery_task_failures_total", task="tests.core.metrics_ok") == 0
    assert moved(before, after, "shanhuo_celery_task_duration_seconds_count", task="tests.core.metrics_ok") == 2


@pytest.mark.django_db(transaction=True)
def test_clicks_by_outcome_and_budget_debits(scrape, settings):
    settings.PROMOTION_BUDGET_BACKEND = "database"
    product = f.product()
    campaign = f.campaign(products=[product])
    before = scrape()
    assert click(campaign, product).outcome == ClickOutcome.BILLED
    assert click(campaign, product, user_agent="curl/8.5.0").outcome == ClickOutcome.BOT
    after = scrape()
    assert moved(before, after, "shanhuo_clicks_total", outcome=ClickOutcome.BILLED) == 1
    assert moved(before, after, "shanhuo_clicks_total", outcome=ClickOutcome.BOT) == 1
    assert moved(before, after, "shanhuo_budget_debits_total") == 1
    assert moved(before, after, "shanhuo_budget_debited_yuan_total") == float(campaign.bid)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_debit_is_not_counted(scrape, settings):
    settings.PROMOTION_BUDGET_BACKEND = "database"
    product = f.product()
    campaign = f.campaign(products=[product])
    before = scrape()
    with pytest.raises(RuntimeError), transaction.atomic():
        click(campaign, product)
        raise RuntimeError("undone")
    after = scrape()
    assert moved(before, after, "shanhuo_budget_debits_total") == 0
    assert moved(before, after, "shanhuo_clicks_total", outcome=ClickOutcome.BILLED) == 0


@pytest.mark.django_db(transaction=True)
def test_payments_are_counted_by_state_and_gateway(scrape):
    before = scrape()
    order = place_order([(variant(), 1)])
    middle = scrape()
    shopper_payments.confirm_offline_payment(f.staff_user(), order.payment)
    after = scrape()
    payments = "shanhuo_payments_total"
    assert moved(before, middle, payments, state="pending", gateway="offline") == 1
    assert moved(before, middle, payments, state="succeeded", gateway="offline") == 0
    assert moved(middle, after, payments, state="succeeded", gateway="offline") == 1
