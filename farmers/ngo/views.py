"""NGO verification pages: the queue of farmers in the villages an NGO covers, a farmer's record,
and the decision form. The rules (allowed moves, reasons, who may decide, the record of every
change) are `farmers.verification.change_verification_state`'s; these views parse and show."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from farmers import selectors
from farmers.models import VerificationState
from farmers.permissions import Viewer, is_ngo_staff, viewer_of
from farmers.verification import ALLOWED_TRANSITIONS, change_verification_state

from .forms import DecisionForm

S = VerificationState
PAGE_SIZE = 25
# Order of the buttons on a record: the usual decision first, going back to pending last.
ACTION_ORDER = (S.VERIFIED, S.REJECTED, S.SUSPENDED, S.PENDING)


def _verifier(request) -> Viewer:
    """The request's viewer, if they may use these pages: site staff or staff of some NGO (even one
    that covers no village yet: they see an empty queue). Anyone else logged in: 403."""
    viewer = viewer_of(request)
    if viewer.is_staff or viewer.covered_villages or is_ngo_staff(request.user):
        return viewer
    raise PermissionDenied


def action_label(from_state: str, to_state: str) -> str:
    if to_state == S.VERIFIED:
        return _("Reinstate") if from_state == S.SUSPENDED else _("Verify")
    return {
        S.REJECTED: _("Reject"),
        S.SUSPENDED: _("Suspend"),
        S.PENDING: _("Send back to pending"),
    }[to_state]


def _done_message(farmer, from_state: str, to_state: str) -> str:
    name = {"name": farmer.name}
    if to_state == S.VERIFIED:
        if from_state == S.SUSPENDED:
            return _("%(name)s is reinstated.") % name
        return _("%(name)s is verified.") % name
    return {
        S.REJECTED: _("%(name)s is rejected."),
        S.SUSPENDED: _("%(name)s is suspended."),
        S.PENDING: _("%(name)s is back to pending."),
    }[to_state] % name


LISTING_STATES = {
    "on_sale": gettext_lazy("On sale"),
    "hidden": gettext_lazy("Published, hidden until the farmer is verified"),
    "waiting": gettext_lazy("Goes on sale when the farmer is verified"),
    "draft": gettext_lazy("Draft"),
}


def _listing_state(product, farmer) -> str:
    if product.publish_when_verified:
        return "waiting"
    if product.is_published:
        return "on_sale" if farmer.is_verified and product.min_price is not None else "hidden"
    return "draft"


@login_required
def pending(request):
    """The queue: pending farmers by default, other states as tabs (`?state=`), newest first."""
    viewer = _verifier(request)
    state = request.GET.get("state") or S.PENDING
    if state not in S.values:
        state = S.PENDING
    page = Paginator(selectors.verification_queue(viewer, state), PAGE_SIZE).get_page(request.GET.get("page"))
    counts = selectors.verification_state_counts(viewer)
    tabs = [{"state": value, "label": label, "count": counts[value]} for value, label in S.choices]
    return render(
        request,
        "ngo/pending.html",
        {"page": page, "tabs": tabs, "state": state, "state_label": S(state).label},
    )


@login_required
def farmer_record(request, pk):
    viewer = _verifier(request)
    farmer = get_object_or_404(selectors.farmer_record(viewer), pk=pk)
    return _render_record(request, viewer, farmer)


@login_required
@require_POST
def decide(request, pk):
    """One decision through the service; on an error nothing is written and the record shows it."""
    viewer = _verifier(request)
    farmer = get_object_or_404(selectors.farmers_to_verify(viewer), pk=pk)
    from_state = farmer.verification_state
    form = DecisionForm(request.POST)
    if form.is_valid():
        to_state = form.cleaned_data["to_state"]
        try:
            change_verification_state(farmer, to_state, by=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _done_message(farmer, from_state, to_state))
            return redirect("ngo:farmer", pk=farmer.pk)
    farmer = get_object_or_404(selectors.farmer_record(viewer), pk=pk)
    return _render_record(request, viewer, farmer, failed=form, status=400)


def _render_record(request, viewer, farmer, failed: DecisionForm | None = None, status: int = 200):
    from_state = S(farmer.verification_state)
    allowed = ALLOWED_TRANSITIONS[from_state]
    actions = []
    for to_state in ACTION_ORDER:
        if to_state not in allowed:
            continue
        form = failed if failed is not None and failed.action == to_state else DecisionForm(action=to_state)
        actions.append({"form": form, "label": action_label(from_state, to_state), "state": to_state})
    # Errors about the move itself (not allowed from this state, unknown target) go above the actions.
    general_errors = []
    if failed is not None:
        general_errors = list(failed.non_field_errors()) + list(failed.errors.get("to_state", []))
        if failed.action not in allowed:
            general_errors += list(failed.errors.get("reason", []))
    products = list(farmer.products.select_related("category").order_by("-created_at", "-id"))
    for product in products:
        product.listing_state = _listing_state(product, farmer)
        product.listing_state_label = LISTING_STATES[product.listing_state]
    return render(
        request,
        "ngo/farmer.html",
        {
            "farmer": farmer,
            "village": farmer.village,
            "show_personal": viewer.can_see_personal_data(farmer),
            "history": farmer.state_changes.all(),
            "products": products,
            "actions": actions,
            "general_errors": general_errors,
            "decision_form": failed,
        },
        status=status,
    )
