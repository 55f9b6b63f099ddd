"""Sponsors' pages: their campaigns with totals, a campaign's figures day by day (also as CSV),
pausing or resuming a campaign, and whom it is shown to (targeting). The figures are
`promotion.reports`'; the changes are `promotion.campaigns`' services, whose refusals are shown as
messages (targeting: beside the form's fields). A campaign of a sponsor the
user is not staff of is a 404, as if it did not exist."""

import csv
import functools
import io
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.permissions import staff as is_operator
from payments.ledger import from_fen

from .. import reports
from ..budget import ledger_spent_fen
from ..campaigns import activate_campaign, pause_campaign, update_campaign
from ..clock import budget_day
from ..models import Campaign, CampaignState, ClickOutcome
from ..permissions import campaigns_visible_to, is_sponsor_staff, sponsors_visible_to
from .forms import ReportRangeForm, TargetingForm


def sponsor_page(view):
    """Logged in (else to the log-in page), and an operator or staff of some sponsor (else a page
    saying whom these pages are for, answered 403)."""

    @login_required
    @never_cache  # figures and buttons of one sponsor: no shared cache may keep them
    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (is_operator(request.user) or is_sponsor_staff(request.user)):
            return render(request, "sponsor/not_sponsor.html", status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _campaign(request, pk) -> Campaign:
    return get_object_or_404(campaigns_visible_to(request.user).select_related("sponsor"), pk=pk)


@require_safe
@sponsor_page
def home(request):
    """Each sponsor the user is staff of (operators: every sponsor), its campaigns and totals."""
    campaigns = Campaign.objects.order_by("-created_at", "-id")
    sponsors = list(sponsors_visible_to(request.user).prefetch_related(Prefetch("campaigns", queryset=campaigns)))
    totals = reports.totals_for(c.pk for s in sponsors for c in s.campaigns.all())
    groups = []
    for sponsor in sponsors:
        rows = [
            {
                "campaign": c,
                "figures": totals[c.pk],
                "remaining": max(c.total_cap - totals[c.pk].spend, Decimal("0.00")),
            }
            for c in sponsor.campaigns.all()
        ]
        groups.append({"sponsor": sponsor, "rows": rows, "totals": reports.add_up(r["figures"] for r in rows)})
    return render(request, "sponsor/home.html", {"groups": groups})


def _report_range(request, campaign) -> tuple[ReportRangeForm, tuple | None]:
    """The form and the range it asks for; None (and the form's errors) when the input is wrong.
    Without input: the default range (reports.default_range)."""
    default = reports.default_range(campaign, budget_day(timezone.now()))
    if "start" not in request.GET and "end" not in request.GET:
        return ReportRangeForm(None, default, initial={"start": default[0], "end": default[1]}), default
    form = ReportRangeForm(request.GET, default)
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        try:
            reports.check_range(start, end)
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            return form, (start, end)
    return form, None


def _outcome_labels() -> list[tuple[str, str]]:
    return [(value, label) for value, label in ClickOutcome.choices if value != ClickOutcome.BILLED]


@require_safe
@sponsor_page
def campaign(request, pk):
    campaign = _campaign(request, pk)
    form, chosen = _report_range(request, campaign)
    start, end = chosen or reports.default_range(campaign, budget_day(timezone.now()))
    report = reports.campaign_report(campaign, start, end)
    unbilled = [
        (label, report.totals.clicks_by_outcome[value])
        for value, label in _outcome_labels()
        if report.totals.clicks_by_outcome[value]
    ]
    return render(
        request,
        "sponsor/campaign.html",
        {
            "campaign": campaign,
            "report": report,
            "form": form,
            "range_is_default": chosen is None,
            "unbilled": unbilled,
            "can_pause": campaign.state == CampaignState.ACTIVE,
            "can_resume": campaign.state in (CampaignState.PAUSED, CampaignState.DRAFT),
            "spent": from_fen(ledger_spent_fen(campaign.pk)),
            "targeting": {
                "provinces": [p.name for p in campaign.target_provinces.all()],
                "categories": [str(c) for c in campaign.target_categories.select_related("parent")],
            },
        },
    )


@require_safe
@sponsor_page
def report_csv(request, pk):
    """The per-day figures as CSV for a spreadsheet: a header row, a row per day, a totals row;
    UTF-8 with a byte order mark (Excel then reads the Chinese right), money with two decimals."""
    campaign = _campaign(request, pk)
    form, chosen = _report_range(request, campaign)
    if chosen is None:
        problems = [str(m) for errors in form.errors.values() for m in errors]
        return HttpResponse("\n".join(problems), status=400, content_type="text/plain; charset=utf-8")
    report = reports.campaign_report(campaign, *chosen)
    outcomes = _outcome_labels()
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("Day"),
            _("Spend (CNY)"),
            _("Impressions"),
            _("Billed clicks"),
            _("Clicks not billed"),
            *[_("Not billed: %(reason)s") % {"reason": label} for _value, label in outcomes],
            _("Orders"),
            _("Revenue (CNY)"),
            _("Farmer income (CNY)"),
        ]
    )
    for figures in [*report.days, report.totals]:
        writer.writerow(
            [
                figures.day.isoformat() if figures.day else _("Total"),
                f"{figures.spend:.2f}",
                figures.impressions,
                figures.billed_clicks,
                figures.unbilled_clicks,
                *[figures.clicks_by_outcome[value] for value, _label in outcomes],
                figures.orders,
                f"{figures.revenue:.2f}",
                f"{figures.farmer_income:.2f}",
            ]
        )
    response = HttpResponse(buffer.getvalue().encode("utf-8"), content_type="text/csv; charset=utf-8")
    filename = f"campaign-{campaign.pk}-{report.start:%Y%m%d}-{report.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@sponsor_page
def pause(request, pk):
    campaign = _campaign(request, pk)
    try:
        pause_campaign(request.user, campaign)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The campaign is paused: it is not shown until you resume it."))
    return redirect("sponsor:campaign", pk=campaign.pk)


@require_POST
@sponsor_page
def resume(request, pk):
    campaign = _campaign(request, pk)
    try:
        activate_campaign(request.user, campaign)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The campaign is running: it is shown again."))
    return redirect("sponsor:campaign", pk=campaign.pk)


@require_http_methods(["GET", "HEAD", "POST"])
@sponsor_page
def targeting(request, pk):
    """Whom the campaign is shown to: provinces, readers' interests, and how often one reader sees
    it a day (`promotion.campaigns.update_campaign` checks and saves; nothing is saved on an error)."""
    campaign = _campaign(request, pk)
    if request.method == "POST":
        form = TargetingForm(request.POST)
        if form.is_valid():
            try:
                update_campaign(request.user, campaign, **form.cleaned_data)
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, _("Saved: the campaign is shown to these readers from now on."))
                return redirect("sponsor:campaign", pk=campaign.pk)
    else:
        form = TargetingForm(
            initial={
                "target_provinces": list(campaign.target_provinces.all()),
                "target_categories": list(campaign.target_categories.all()),
                "frequency_cap": campaign.frequency_cap or "",
            }
        )
    return render(request, "sponsor/targeting.html", {"campaign": campaign, "form": form})
