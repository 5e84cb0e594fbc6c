"""The knowledge base: agents search articles and canned replies (a page, and an htmx partial on
the ticket page); managers keep them in setup. The URLs are listed in ``service/views/setup.py``."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_site.access import area_required
from crm_site.pagination import CappedPaginator
from service.filters.knowledge import KnowledgeFilter
from service.forms.knowledge import CannedReplyForm, KnowledgeArticleForm, KnowledgeSearchForm
from service.models import CannedReply, KnowledgeArticle
from service.selectors.knowledge import (
    active_canned_replies,
    all_articles,
    all_canned_replies,
    knowledge_search,
    knowledge_ticket,
    published_articles,
)
from service.services.knowledge import (
    canned_reply_save,
    canned_reply_set_active,
    knowledge_article_save,
    knowledge_article_set_published,
)

PER_PAGE = 20
TABS = ("articles", "replies")


@area_required("service")
def knowledge_list(request):
    """Articles or canned replies (a tab each), searched and filtered, a page at a time."""
    tab = request.GET.get("tab") if request.GET.get("tab") in TABS else "articles"
    query = request.GET.get("q", "")
    base = active_canned_replies(query=query) if tab == "replies" else published_articles(query=query)
    filterset = KnowledgeFilter(request.GET or None, queryset=base)
    page = CappedPaginator(filterset.qs, PER_PAGE).get_page(request.GET.get("page"))
    context = {"filter": filterset, "page_obj": page, "tab": tab, "query": query}
    return render(request, "service/knowledge/list.html", context)


@area_required("service")
def knowledge_search_view(request):
    """The htmx partial of the ticket page: the best answers for ``q``, canned replies filled in
    for ``ticket`` (which the user must be able to see)."""
    form = KnowledgeSearchForm(request.GET)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    ticket_id = data.get("ticket")
    ticket = knowledge_ticket(user=request.user, pk=ticket_id) if ticket_id else None
    results = knowledge_search(user=request.user, query=data.get("q") or "", ticket=ticket)
    return render(request, "service/knowledge/_results.html", {"results": results})


# --- setup: canned replies and articles --------------------------------------------------------


def _edit(request, form, save, *, template: str, obj, title: str, back: str, success: str):
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(form.instance)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, success % {"name": saved.title})
            return redirect(back)
    context = {"form": form, "object": obj, "title": title, "back": back}
    return render(request, template, context, status=400 if form.errors else 200)


@area_required("service_setup")
def canned_reply_list(request):
    page = CappedPaginator(all_canned_replies(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "service/knowledge/setup_replies.html", {"page_obj": page})


@area_required("service_setup")
def canned_reply_edit(request, pk: int | None = None):
    reply = get_object_or_404(CannedReply, pk=pk) if pk else CannedReply()
    return _edit(
        request, CannedReplyForm(request.POST or None, instance=reply),
        lambda reply: canned_reply_save(reply=reply, by=request.user),
        template="service/knowledge/setup_form.html", obj=reply, title=_("Canned reply"),
        back="service:setup_canned_replies", success=_("Canned reply %(name)s saved."),
    )  # fmt: skip


@require_POST
@area_required("service_setup")
def canned_reply_active(request, pk: int):
    reply = canned_reply_set_active(
        reply=get_object_or_404(CannedReply, pk=pk), is_active=request.POST.get("is_active") == "1"
    )
    message = _("Canned reply %(name)s is on.") if reply.is_active else _("Canned reply %(name)s is off.")
    messages.success(request, message % {"name": reply.title})
    return redirect("service:setup_canned_replies")


@area_required("service_setup")
def article_list(request):
    page = CappedPaginator(all_articles(), PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "service/knowledge/setup_articles.html", {"page_obj": page})


@area_required("service_setup")
def article_edit(request, pk: int | None = None):
    article = get_object_or_404(KnowledgeArticle, pk=pk) if pk else KnowledgeArticle()
    return _edit(
        request, KnowledgeArticleForm(request.POST or None, instance=article),
        lambda article: knowledge_article_save(article=article, by=request.user),
        template="service/knowledge/setup_form.html", obj=article, title=_("Knowledge base article"),
        back="service:setup_articles", success=_("Article %(name)s saved."),
    )  # fmt: skip


@require_POST
@area_required("service_setup")
def article_publish(request, pk: int):
    article = knowledge_article_set_published(
        article=get_object_or_404(KnowledgeArticle, pk=pk), is_published=request.POST.get("is_published") == "1"
    )
    message = _("Article %(name)s is published.") if article.is_published else _("Article %(name)s is withdrawn.")
    messages.success(request, message % {"name": article.title})
    return redirect("service:setup_articles")


urlpatterns = [
    path("knowledge/", knowledge_list, name="knowledge_list"),
    path("knowledge/search/", knowledge_search_view, name="knowledge_search"),
    path("setup/canned-replies/", canned_reply_list, name="setup_canned_replies"),
    path("setup/canned-replies/new/", canned_reply_edit, name="setup_canned_reply_create"),
    path("setup/canned-replies/<int:pk>/", canned_reply_edit, name="setup_canned_reply_edit"),
    path("setup/canned-replies/<int:pk>/active/", canned_reply_active, name="setup_canned_reply_active"),
    path("setup/articles/", article_list, name="setup_articles"),
    path("setup/articles/new/", article_edit, name="setup_article_create"),
    path("setup/articles/<int:pk>/", article_edit, name="setup_article_edit"),
    path("setup/articles/<int:pk>/publish/", article_publish, name="setup_article_publish"),
]
