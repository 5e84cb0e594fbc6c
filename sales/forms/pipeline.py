"""Forms of opportunities and the pipeline's setup. They validate input; services write."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from crm_site.access import Action, Role, Scope, record_scope, team_ids
from crm_site.models import Team, User
from customers.models import Customer
from customers.selectors import customers_for
from sales.methods import MAX_ANSWER_LENGTH, Step
from sales.models import BuyingRole, LossReason, Opportunity, OpportunityLine, Pipeline, Product, Stage

# The customer select offers the user's most recent customers; any customer they may see is
# accepted (e.g. one given with ?customer=), so a large book never renders a huge select.
CUSTOMER_CHOICES = 200
SALES_ROLES = [Role.ADMIN.value, Role.MANAGER.value, Role.SALES_REP.value]


def sales_users() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True, groups__name__in=SALES_ROLES).distinct().order_by("first_name", "username")
    )


def owners_and_teams_in_scope(user: User, action: Action = Action.VIEW) -> tuple[QuerySet[User], QuerySet[Team]]:
    """The owners and teams ``user`` may pick (to assign or to filter by): a rep only
    themselves and their team, a manager their teams and members, admin everyone."""
    scope = record_scope(user, "sales", action)
    users = sales_users()
    teams = Team.objects.order_by("name")
    if scope == Scope.TEAM:
        users = users.filter(Q(team__in=team_ids(user)) | Q(pk=user.pk))
        teams = teams.filter(pk__in=team_ids(user))
    elif scope != Scope.ALL:
        users = User.objects.filter(pk=user.pk)
        teams = teams.filter(pk=user.team_id) if scope == Scope.OWN else teams.none()
        if scope == Scope.NONE:
            users = users.none()
    return users, teams


class OpportunityForm(forms.ModelForm):
    class Meta:
        model = Opportunity
        fields = [
            "name", "customer", "pipeline", "amount", "probability", "expected_close_date", "owner", "team",
            "source", "competitor", "next_step", "description", "method",
        ]  # fmt: skip
        widgets = {
            "expected_close_date": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user: User, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        visible = customers_for(user=user)
        field = self.fields["customer"]
        field.queryset = visible
        selected = customer or (self.instance.customer if self.instance.pk else None)
        recent = list(visible.order_by("-created_at").values_list("pk", "name")[:CUSTOMER_CHOICES])
        if selected is not None and selected.pk not in {pk for pk, _name in recent}:
            recent.insert(0, (selected.pk, selected.name))
        field.widget.choices = [("", "---------"), *recent]
        if customer is not None:
            self.initial["customer"] = customer.pk
        if self.instance.pk:
            # The stage (and so the pipeline) changes through a move, which records it.
            del self.fields["pipeline"]
        else:
            del self.fields["probability"]
            self.fields["pipeline"].queryset = Pipeline.objects.filter(is_active=True)
            default = Pipeline.objects.filter(is_default=True, is_active=True).first()
            if default is not None:
                self.initial.setdefault("pipeline", default.pk)
        self._limit_owner_and_team()

    def _limit_owner_and_team(self) -> None:
        users, teams = owners_and_teams_in_scope(self.user, Action.CHANGE)
        self.fields["owner"].queryset = users
        self.fields["team"].queryset = teams
        if not self.instance.pk:
            self.initial.setdefault("owner", self.user.pk)
            self.initial.setdefault("team", self.user.team_id)

    def service_kwargs(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class MoveForm(forms.Form):
    """Move to a stage of the opportunity's pipeline; a lost stage needs a reason."""

    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.none())
    loss_reason = forms.ModelChoiceField(
        label=_("Why was it lost?"), queryset=LossReason.objects.filter(is_active=True), required=False
    )
    loss_note = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = Stage.objects.filter(pipeline_id=opportunity.pipeline_id)
        self.initial.setdefault("stage", opportunity.stage_id)

    def clean(self):
        data = super().clean()
        stage = data.get("stage")
        if stage is not None and stage.kind == Stage.Kind.LOST and not data.get("loss_reason"):
            self.add_error("loss_reason", _("Choose why the opportunity was lost."))
        return data


class LoseForm(forms.Form):
    loss_reason = forms.ModelChoiceField(
        label=_("Why was it lost?"), queryset=LossReason.objects.filter(is_active=True)
    )
    loss_note = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class MethodForm(forms.Form):
    method = forms.ChoiceField(label=_("Selling method"), choices=Opportunity.Method.choices, required=False)


class PlaybookStepForm(forms.Form):
    """One step of a selling method: a text answer per question of the step."""

    def __init__(self, *args, step: Step, **kwargs):
        super().__init__(*args, **kwargs)
        self.step = step
        for question in step.questions:
            self.fields[question.key] = forms.CharField(
                label=question.label,
                help_text=question.help_text,
                required=False,
                max_length=MAX_ANSWER_LENGTH,
                widget=forms.Textarea(attrs={"rows": 2}),
            )


class ProductChoiceField(forms.ChoiceField):
    """A product among those the formset loaded for every row at once (no query per row)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.products: dict[int, Product] = {}

    def prepare_value(self, value):
        return value.pk if isinstance(value, Product) else value

    def to_python(self, value) -> Product | None:
        if value in self.empty_values:
            return None
        try:
            return self.products[int(value)]
        except (KeyError, TypeError, ValueError):
            raise ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            ) from None

    def validate(self, value) -> None:
        forms.Field.validate(self, value)  # only "required": to_python checked the choice

    def has_changed(self, initial, data) -> bool:
        return str(self.prepare_value(initial) or "") != str(data or "")


class OpportunityLineForm(forms.Form):
    # Rendered with the fast_select tag: the whole catalogue is an option list on every row.
    product = ProductChoiceField(label=_("Product"), widget=forms.Select(attrs={"class": "form-select"}))
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Empty: the list price."),
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"), max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False
    )

    def __init__(self, *args, product_choices=(), products=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["product"].choices = [("", "---------"), *product_choices]
        self.fields["product"].products = products or {}


class BaseLineFormSet(forms.BaseFormSet):
    """The product lines of ``opportunity``. A row may name an active product or one already on
    the opportunity (so re-saving lines whose product was retired since still works)."""

    def __init__(self, *args, opportunity: Opportunity, **kwargs):
        self.opportunity = opportunity
        super().__init__(*args, **kwargs)

    def allowed_products(self) -> QuerySet[Product]:
        on_lines = OpportunityLine.objects.filter(opportunity_id=self.opportunity.pk).values("product_id")
        return Product.objects.filter(Q(is_active=True) | Q(pk__in=on_lines))

    @cached_property
    def product_choices(self) -> list[tuple[int, str]]:
        rows = self.allowed_products().order_by("name", "pk").values_list("pk", "name", "sku")
        return [(pk, f"{name} ({sku})") for pk, name, sku in rows]

    @cached_property
    def posted_products(self) -> dict[int, Product]:
        """The products the posted rows name, in one query (only allowed ones are found)."""
        if not self.is_bound:
            return {}
        ids = set()
        for index in range(min(self.total_form_count(), self.absolute_max)):
            value = self.data.get(f"{self.add_prefix(index)}-product")
            if value and str(value).isdigit():
                ids.add(int(value))
        return self.allowed_products().in_bulk(list(ids)) if ids else {}

    def get_form_kwargs(self, index):
        return {
            **super().get_form_kwargs(index),
            "product_choices": self.product_choices,
            "products": self.posted_products,
        }

    def lines(self) -> list[dict]:
        return [
            form.cleaned_data
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("product")
        ]


OpportunityLineFormSet = forms.formset_factory(
    OpportunityLineForm, formset=BaseLineFormSet, extra=2, can_delete=True, max_num=100, validate_max=True
)


class BuyingRoleForm(forms.ModelForm):
    class Meta:
        model = BuyingRole
        fields = ["name", "job_title", "role", "stance", "influence", "notes"]


class PipelineForm(forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["name"]


class StageForm(forms.ModelForm):
    class Meta:
        model = Stage
        fields = ["name", "kind", "probability", "rot_days"]

    def __init__(self, *args, pipeline: Pipeline, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.pipeline = pipeline


class LossReasonForm(forms.ModelForm):
    class Meta:
        model = LossReason
        fields = ["name"]
