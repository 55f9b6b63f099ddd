"""The verification decision form: it only parses the request; the rules live in the service."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from farmers.models import VerificationState
from farmers.verification import NEEDS_REASON

S = VerificationState

# The service's error keys, mapped to this form's fields.
SERVICE_FIELDS = {"verification_state": "to_state", "reason": "reason"}


class DecisionForm(forms.Form):
    """One action on a farmer's record: the target state (hidden, set by the button's form) and a reason.

    Each action gets its own form on the page, with ids prefixed by the target state, so that the
    reason box sits next to its button and labels and error ids stay unique."""

    to_state = forms.ChoiceField(choices=S.choices, widget=forms.HiddenInput)
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}),
    )

    def __init__(self, *args, action: str | None = None, **kwargs):
        if action is None and args and args[0] is not None:
            action = args[0].get("to_state")
        if action not in S.values:
            action = "decision"  # an unknown target: the field reports it; ids stay safe
        kwargs.setdefault("auto_id", f"id_{action}_%s")
        super().__init__(*args, **kwargs)
        self.action = action
        if action in NEEDS_REASON:
            self.fields["reason"].widget.attrs["required"] = True  # the service checks it too
        if not self.is_bound:
            self.initial.setdefault("to_state", action)

    @property
    def reason_needed(self) -> bool:
        return self.action in NEEDS_REASON

    def add_service_error(self, error: ValidationError) -> None:
        """Put the service's `ValidationError` beside the field it concerns (codes kept)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            self.add_error(SERVICE_FIELDS.get(key), errors)
