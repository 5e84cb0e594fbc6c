"""Forms of canned replies and knowledge base articles (setup) and the agents' search."""

from django import forms
from django.utils.translation import gettext_lazy as _

from service.forms.setup import CategoryChoiceField, ServiceModelForm, category_choices_queryset, style
from service.models import CannedReply, KnowledgeArticle


class CannedReplyForm(ServiceModelForm):
    class Meta:
        model = CannedReply
        fields = ["title", "category", "body", "is_active"]
        field_classes = {"category": CategoryChoiceField}
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = category_choices_queryset()


class KnowledgeArticleForm(ServiceModelForm):
    class Meta:
        model = KnowledgeArticle
        fields = ["title", "category", "body", "is_published"]
        field_classes = {"category": CategoryChoiceField}
        widgets = {"body": forms.Textarea(attrs={"rows": 12})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = category_choices_queryset()


class KnowledgeSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    ticket = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)
