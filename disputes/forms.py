"""The customer's dispute forms and the staff's decision forms.

The forms check that something was given; the rules (the IS-9 window, every requirement ticked,
the video itself) are the services' and ``evidence.py``'s, so the API and the pages share them.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from storefronts.labels import choices_without_rule_ids

from .models import Outcome, RefusalReason


class DisputeOpenForm(forms.Form):
    problem = forms.ChoiceField(widget=forms.RadioSelect, label=_("What went wrong?"))
    description = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("What did you do, and what happened?"),
        help_text=_(
            "E.g. which steps you followed, what the phone showed when you typed the code."
        ),
    )
    attestations = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        label=_("My video shows"),
        error_messages={"required": _("Tick each thing your video shows.")},
    )
    video = forms.FileField(
        label=_("Your video"),
        widget=forms.ClearableFileInput(attrs={"accept": "video/mp4,video/webm,video/quicktime"}),
        error_messages={"required": _("Upload the video of the code being entered.")},
    )

    def __init__(self, *args, problems, requirements, max_mb: int, min_height: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem"].choices = problems
        if len(problems) == 1:
            self.fields["problem"].initial = problems[0][0]
        # The storefront's own wording is the value; the label is in the page's language when
        # the catalogue knows the line (the demo storefronts' lines, storefronts/demo).
        self.fields["attestations"].choices = [(text, gettext(text)) for text in requirements]
        self.fields["video"].help_text = gettext(
            "One continuous video, at least %(height)sp (the phone may be upright), "
            "up to %(mb)s MB. MP4 or WebM."
        ) % {"height": min_height, "mb": max_mb}
        self.fields["video"].widget.attrs["data-max-bytes"] = str(max_mb * 1024 * 1024)


class DisputeMessageForm(forms.Form):
    body = forms.CharField(
        max_length=4000, widget=forms.Textarea(attrs={"rows": 3}), label=_("Your message")
    )
    attachment = forms.FileField(
        required=False,
        label=_("Add a video or a photo (optional)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": "video/mp4,video/webm,image/jpeg,image/png"}
        ),
    )


# --- staff (the admin) -----------------------------------------------------------------------


class StaffMessageForm(forms.Form):
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Message to the customer"
    )
    ask_for_evidence = forms.BooleanField(
        required=False,
        label="Ask for more evidence (the resolution clock stops until the customer answers)",
    )


class RefundForm(forms.Form):
    # DS-13: refunded when the video shows the code or the instructions were wrong.
    confirm = forms.BooleanField(
        label="I watched the video: the code or the instructions were wrong", required=True
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Note to the customer"
    )


class CorrectedCodeForm(forms.Form):
    corrected_code = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Corrected code or instructions"
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Note to the customer"
    )


class RefuseForm(forms.Form):
    refusal_reason = forms.ChoiceField(
        # IS-10, DS-14: the policy's reasons, worded for staff without their ids.
        choices=[
            ("", "— pick the policy reason —"),
            *choices_without_rule_ids(RefusalReason.choices),
        ],
        label="Reason",
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Note to the customer"
    )


class EntryMistakeForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What the video shows was entered wrongly (the customer is told)",
    )


class UpstreamForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="How and when it was raised"
    )
    reference = forms.CharField(required=False, max_length=100, label="Supplier's reference")


class ForwardForm(forms.Form):
    confirm = forms.BooleanField(
        required=True,
        label="I watched the video: it shows what the supplier's terms ask (their list is "
        "attested with it)",
    )
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Note (optional)"
    )


OUTCOME_FORMS = {
    Outcome.REFUNDED: RefundForm,
    Outcome.CORRECTED: CorrectedCodeForm,
    Outcome.REFUSED: RefuseForm,
    Outcome.ENTRY_MISTAKE: EntryMistakeForm,
}
