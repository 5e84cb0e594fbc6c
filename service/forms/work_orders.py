"""Forms for work orders: staff issue one; the contractor declines, adds notes and photos, finishes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from service.models import Skill, Ticket
from service.selectors.work_orders import contractor_choices
from service.services.work_orders import PHOTO_MAX_BYTES, work_order_photo_validate


class ContractorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj} — {obj.contractor.company}"


class SkillFilterForm(forms.Form):
    """The GET form above the issue form: narrow the contractors to those with a skill."""

    skill = forms.ModelChoiceField(
        label=_("Contractors with the skill"),
        queryset=Skill.objects.order_by("name"),
        required=False,
        empty_label=_("Any skill"),
    )


class WorkOrderIssueForm(forms.Form):
    contractor = ContractorChoiceField(label=_("Contractor"), queryset=contractor_choices())
    instructions = forms.CharField(
        label=_("Instructions for the contractor"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=4000,
        help_text=_("The contractor sees these, the job's subject, the service address and the contact phone."),
    )
    scheduled_for = forms.DateTimeField(
        label=_("Visit planned for"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )

    def __init__(self, *args, ticket: Ticket, skill: Skill | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.fields["contractor"].queryset = contractor_choices(skill=skill)

    def service_kwargs(self) -> dict:
        return {
            "contractor": self.cleaned_data["contractor"],
            "instructions": self.cleaned_data["instructions"],
            "scheduled_for": self.cleaned_data["scheduled_for"],
        }


class WorkOrderDeclineForm(forms.Form):
    reason = forms.CharField(label=_("Why do you decline the job?"), max_length=300)


class WorkOrderNoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000)
    photo = forms.FileField(
        label=_("Photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, up to %(size)s MB.") % {"size": PHOTO_MAX_BYTES // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        if photo:
            try:
                work_order_photo_validate(photo)
            except forms.ValidationError as error:
                raise forms.ValidationError(error.message_dict["photo"]) from None
        return photo or None

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("note", "").strip() and not cleaned.get("photo"):
            raise forms.ValidationError(_("Write a note or attach a photo."))
        return cleaned


class WorkOrderDoneForm(forms.Form):
    note = forms.CharField(label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class WorkOrderCancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, required=False)
