"""Sign-up, log-in and log-out pages: they parse the form, call the service and shape the page."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from core import shoppers
from core.ratelimit import SIGNUP_PER_IP, client_ip
from farmers import registration
from farmers.homes import registered_home_for
from farmers.permissions import is_ngo_staff, is_seller

from .forms import LogInForm, ShopperSignUpForm, SignUpForm

MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def home_for(user) -> str:
    """Where a logged-in person starts: sellers at their products, an NGO officer with nothing to
    sell at the farmers waiting for verification, someone with a page registered by an app above
    (a sponsor's staff: their campaigns, see farmers.homes) there, anyone else at the shop."""
    if is_seller(user):
        return resolve_url(settings.LOGIN_REDIRECT_URL)
    if is_ngo_staff(user):
        return resolve_url("ngo:pending")
    registered = registered_home_for(user)
    if registered:
        return resolve_url(registered)
    return resolve_url("shop:home")


@sensitive_post_parameters("password1", "password2")
@csrf_protect
@never_cache
def signup(request):
    """A new farmer: the account is made pending (an NGO or the operator verifies it), the farmer
    is logged in and goes to their products page, where they can prepare listings meanwhile."""
    if request.user.is_authenticated:
        return redirect(home_for(request.user))
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and SIGNUP_PER_IP.hit(client_ip(request)).blocked:
        form.add_error(
            None,
            ValidationError(
                _("Too many sign-ups from this network. Please try again in an hour."), code="rate_limited"
            ),
        )
        return render(request, "accounts/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            farmer = registration.register_farmer(
                data["phone"], data["password1"], data["name"], data["village"], data["cooperative"]
            )
        except ValidationError as error:  # e.g. the same phone signed up a moment ago
            form.add_service_errors(error)
        else:
            login(request, farmer.user, backend=MODEL_BACKEND)
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(request, "accounts/signup.html", {"form": form})


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def shopper_signup(request):
    """A shopper's account, to see their orders in one place. Logging in afterwards brings the
    guest's cart along (shop's user_logged_in receiver)."""
    if request.user.is_authenticated:
        return redirect(home_for(request.user))
    form = ShopperSignUpForm(request.POST or None)
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if request.method == "POST" and SIGNUP_PER_IP.hit(client_ip(request)).blocked:
        form.add_error(
            None,
            ValidationError(
                _("Too many sign-ups from this network. Please try again in an hour."), code="rate_limited"
            ),
        )
        return render(request, "accounts/shopper_signup.html", {"form": form, "next": next_url}, status=429)
    if request.method == "POST" and form.is_valid():
        try:
            user = shoppers.register_shopper(form.cleaned_data["email"], form.cleaned_data["password"])
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            login(request, user, backend=MODEL_BACKEND)
            safe = url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure())
            return redirect(next_url if next_url and safe else "shop:cart")
    return render(request, "accounts/shopper_signup.html", {"form": form, "next": next_url})


class LogInView(auth_views.LoginView):
    """Django's log-in view (safe `next`, CSRF, session rotation) with our form; a rate-limited
    attempt is answered 429 Too Many Requests."""

    form_class = LogInForm
    template_name = "accounts/login.html"

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.rate_limited:
            response.status_code = 429
        return response

    def get_default_redirect_url(self):
        return home_for(self.request.user)


def admin_login(request, extra_context=None):
    """The admin's log-in page, with `AdminLogInForm` (rate-limited; config/urls.py sets it as the
    admin site's form) and, like our log-in page, 429 Too Many Requests for a refused attempt."""
    response = admin.site.login(request, extra_context)
    form = (getattr(response, "context_data", None) or {}).get("form")
    if getattr(form, "rate_limited", False):
        response.status_code = 429
    return response


class LogOutView(auth_views.LogoutView):
    """POST only (Django answers 405 to anything else), then `settings.LOGOUT_REDIRECT_URL`."""
