"""The NGO dashboard: the figures of the villages a user may see (`impact.permissions`), charted
over the period, villages ranked by need and by progress, a page per village with its baseline
and the history of its changes, a drill-down per figure to the ledger entries, orders or
households behind it, and CSV/XLSX exports. The views parse and shape; the figures are
`impact.figures`', the rules of baselines `farmers.baselines`'."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F, IntegerField, Sum
from django.db.models.functions import Cast, Round
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.money import FEN
from core.templatetags.money import yuan
from farmers.baselines import baseline_history, can_edit_baseline, update_baseline
from payments.ledger import from_fen

from . import charts, exports, trace
from .figures import FIGURES, figures, series
from .forms import BaselineForm, PeriodForm, period_form_initial
from .periods import Period, grain, parse_period
from .permissions import check_may_see_impact, villages_visible_to, visible_village
from .rankings import by_need, by_progress, village_rows

PAGE_SIZE = 50
# Figures made of others: their drill-down shows the figures they are made of.
MADE_OF = {
    "farmers_share": ("paid_out", "gross_sales"),
    "payout_per_household": ("paid_out", "households_with_sale"),
    "payout_per_person": ("paid_out", "households_with_sale"),
    "payout_per_person_vs_poverty_line": ("paid_out", "households_with_sale"),
    "payout_per_person_vs_baseline_income": ("paid_out", "households_with_sale"),
    "relief_return": ("promoted_income", "promotion_spend"),
}
ENTRY_FIGURES = (
    "gross_sales",
    "refunds",
    "net_sales",
    "farmer_income",
    "paid_out",
    "promotion_spend",
    "promoted_income",
)
ORDER_FIGURES = ("promoted_orders",)
# Ratios a person reads as a percentage; the others (income per promotion yuan) as a plain number.
PERCENT_FIGURES = (
    "farmers_share",
    "payout_per_person_vs_poverty_line",
    "payout_per_person_vs_baseline_income",
)


def default_period(today: date | None = None) -> Period:
    """The last twelve months to today: a year of months to chart, whatever the day."""
    today = today or timezone.localdate()
    month = today.month - 11
    year = today.year + (month - 1) // 12
    month = (month - 1) % 12 + 1
    return Period(date(year, month, 1), today, "range")


def display(key: str, value) -> str:
    if value is None:
        return "—"
    unit = FIGURES[key].unit
    if unit == "money":
        return yuan(value)
    if unit == "ratio" and key in PERCENT_FIGURES:
        return f"{(value * 100).quantize(FEN)}%"
    if unit == "ratio":
        return f"{value.quantize(FEN)}"
    return f"{value:,}"


def _point_label(point: Period, cut: str, one_year: bool) -> str:
    if cut == "day":
        return f"{point.start:%m-%d}"
    return f"{point.start:%m}" if one_year else f"{point.start:%Y-%m}"


def _chart(key: str, points: list[tuple[Period, object]], period: Period) -> str:
    cut = grain(period)
    one_year = period.start.year == period.end.year
    definition = FIGURES[key]
    data = [
        charts.Point(_point_label(point, cut, one_year), figures_[key])
        for point, figures_ in points
        if figures_[key] is not None
    ]
    by = _("by day") if cut == "day" else _("by month")
    return charts.chart(
        data,
        title=f"{definition.label}，{period.label}",
        desc=f"{by}：" if data else _("No figures in this period."),
        money=definition.unit == "money",
        kind="line" if definition.unit == "ratio" else "bars",
    )


def _viewer_villages(request):
    check_may_see_impact(request.user)
    return villages_visible_to(request.user)


def _period(request) -> tuple[Period | None, PeriodForm]:
    """The period asked for: `?period=2026-Q1` (links, exports), the picker's fields, or the last
    twelve months. A bad one: None, and the form with its error beside the field."""
    if "period" in request.GET:
        try:
            period = parse_period(request.GET["period"])
        except ValidationError as error:
            form = PeriodForm(initial=period_form_initial(default_period()))
            form.period_errors = [message for item in error.error_dict["period"] for message in item]
            return None, form
        return period, PeriodForm(initial=period_form_initial(period))
    if "kind" in request.GET:
        form = PeriodForm(request.GET)
        if form.is_valid():
            return form.cleaned_data["period"], form
        return None, form
    period = default_period()
    return period, PeriodForm(initial=period_form_initial(period))


def _query(period: Period, **extra) -> str:
    return "?" + urlencode({"period": str(period), **{k: v for k, v in extra.items() if v is not None}})


def _cards(ids, period: Period, village_id=None) -> list[dict]:
    totals = figures(ids, period)
    points = series(ids, period)
    return [
        {
            "key": key,
            "label": definition.label,
            "iris": definition.iris,
            "value": display(key, totals[key]),
            "chart": _chart(key, points, period),
            "url": reverse("impact:figure", args=[key]) + _query(period, village=village_id),
        }
        for key, definition in FIGURES.items()
    ]


def _ranking(rows) -> list[dict]:
    def percent(value):
        return "—" if value is None else f"{(value * 100).quantize(FEN)}%"

    return [
        {
            "village": row.village,
            "poor_share": percent(row.poor_share),
            "income_vs_line": percent(row.income_vs_poverty_line),
            "payout_vs_line": percent(row.payout_vs_poverty_line),
            "growth": percent(row.paid_out_growth),
            "paid_out": yuan(row.figures.paid_out),
        }
        for row in rows
    ]


def _bad_period(request, template: str, context: dict):
    return render(request, template, {**context, "period": None}, status=400)


@login_required
def dashboard(request):
    villages = _viewer_villages(request)
    period, form = _period(request)
    context = {"form": form, "villages_count": villages.count()}
    if period is None:
        return _bad_period(request, "impact/dashboard.html", context)
    ids = list(villages.values_list("pk", flat=True))
    rows = village_rows(villages, period)
    query = _query(period)
    return render(
        request,
        "impact/dashboard.html",
        {
            **context,
            "period": period,
            "cards": _cards(ids, period),
            "by_need": _ranking(by_need(rows)),
            "by_progress": _ranking(by_progress(rows)),
            "query": query,
            "csv_url": reverse("impact:export_csv") + query,
            "xlsx_url": reverse("impact:export_xlsx") + query,
        },
    )


def _village_or_404(request, pk):
    check_may_see_impact(request.user)
    village = visible_village(request.user, pk)
    if village is None:
        raise Http404
    return village


def _render_village(request, village, period, form, baseline_form=None, status=200):
    context = {
        "village": village,
        "form": form,
        "period": period,
        "can_edit": can_edit_baseline(request.user, village),
        "history": baseline_history(village),
    }
    if context["can_edit"]:
        context["baseline_form"] = baseline_form or BaselineForm(
            initial={
                "households": village.households,
                "poor_households": village.poor_households,
                "poverty_line": village.poverty_line,
                "baseline_income": village.baseline_income,
            }
        )
    if period is None:
        return render(request, "impact/village.html", context, status=400)
    query = _query(period, village=village.pk)
    context.update(
        cards=_cards([village.pk], period, village.pk),
        query=_query(period),
        csv_url=reverse("impact:export_csv") + query,
        xlsx_url=reverse("impact:export_xlsx") + query,
    )
    return render(request, "impact/village.html", context, status=status)


@login_required
def village_page(request, pk):
    village = _village_or_404(request, pk)
    period, form = _period(request)
    return _render_village(request, village, period, form)


@login_required
@require_POST
def village_baseline(request, pk):
    """Save the baseline through the service; its refusals go beside their fields."""
    village = _village_or_404(request, pk)
    if not can_edit_baseline(request.user, village):
        raise PermissionDenied
    baseline_form = BaselineForm(request.POST)
    if baseline_form.is_valid():
        try:
            change = update_baseline(village, request.user, **baseline_form.cleaned_data)
        except ValidationError as error:
            baseline_form.add_service_errors(error)
        else:
            if change is None:
                messages.info(request, _("Nothing changed."))
            else:
                messages.success(request, _("The village's figures are saved."))
            return redirect("impact:village", pk=village.pk)
    period = default_period()
    form = PeriodForm(initial=period_form_initial(period))
    return _render_village(request, village, period, form, baseline_form=baseline_form, status=400)


def _signed_fen_total(entries) -> int:
    return (
        entries.aggregate(
            fen=Sum(Cast(Round(F("amount") * 100), IntegerField()) * F("figure_sign"), output_field=IntegerField())
        )["fen"]
        or 0
    )


@login_required
def figure_detail(request, key):
    """What is behind one figure: its ledger entries (money), households (counts of households),
    orders (promoted orders), or the figures it is made of (ratios)."""
    villages = _viewer_villages(request)
    if key not in FIGURES:
        raise Http404
    village = None
    if request.GET.get("village"):
        village = visible_village(request.user, request.GET["village"])
        if village is None:
            raise Http404
    period, form = _period(request)
    definition = FIGURES[key]
    context = {"key": key, "definition": definition, "village": village, "form": form}
    if period is None:
        return _bad_period(request, "impact/figure.html", context)
    ids = [village.pk] if village else list(villages.values_list("pk", flat=True))
    value = figures(ids, period)[key]
    context.update(period=period, value=display(key, value), query=_query(period, village=village and village.pk))
    if key in ENTRY_FIGURES:
        entries = (
            trace.entries_behind(key, ids, period)
            .select_related("account__farmer__village", "account__cooperative__village")
            .annotate(counted=F("amount") * F("figure_sign"))
        )
        context.update(
            kind="entries",
            total=yuan(from_fen(_signed_fen_total(entries))),
            page=Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page")),
        )
    elif key in trace.HOUSEHOLD_FIGURES:
        farmers = trace.farmers_behind(key, ids, period).select_related("village").order_by("village_id", "name", "pk")
        context.update(kind="households", total=f"{farmers.count():,}", page=Paginator(farmers, PAGE_SIZE))
        context["page"] = context["page"].get_page(request.GET.get("page"))
    elif key in ORDER_FIGURES:
        orders = trace.orders_behind(key, ids, period).order_by("created_at", "pk")
        context.update(kind="orders", total=f"{orders.count():,}", page=Paginator(orders, PAGE_SIZE))
        context["page"] = context["page"].get_page(request.GET.get("page"))
    else:
        totals = figures(ids, period)
        context.update(
            kind="made_of",
            parts=[
                {
                    "label": FIGURES[part].label,
                    "value": display(part, totals[part]),
                    "url": reverse("impact:figure", args=[part]) + context["query"],
                }
                for part in MADE_OF.get(key, ())
            ],
        )
    return render(request, "impact/figure.html", context)


def _export_scope(request):
    """The villages to export (all the user's, or `?village=`) and the period; 400 on a bad period."""
    villages = _viewer_villages(request)
    if request.GET.get("village"):
        village = visible_village(request.user, request.GET["village"])
        if village is None:
            raise Http404
        villages = villages.filter(pk=village.pk)
    period, form = _period(request)
    return villages, period, form


def _filename(period: Period, extension: str) -> str:
    return f"shanhuo-impact-{str(period).replace('..', '_')}.{extension}"


@login_required
def export_csv(request):
    villages, period, form = _export_scope(request)
    if period is None:
        return HttpResponse(_("Bad period: %(errors)s") % {"errors": form.errors.as_text()}, status=400)
    response = HttpResponse(exports.as_csv(villages, period), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(period, "csv")}"'
    return response


@login_required
def export_xlsx(request):
    villages, period, form = _export_scope(request)
    if period is None:
        return HttpResponse(_("Bad period: %(errors)s") % {"errors": form.errors.as_text()}, status=400)
    response = HttpResponse(
        exports.as_xlsx(villages, period),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(period, "xlsx")}"'
    return response
