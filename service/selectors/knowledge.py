"""Reads of the knowledge base: the agents' list and the search on the ticket page.

Results are ranked by how many of the searched words are in the title, then by title; the
canned replies come with their placeholders filled for the ticket being answered.
"""

from dataclasses import dataclass

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.db.models.functions import Lower

from crm_site.access import get_for_user_or_404
from crm_site.models import User
from crm_site.text import normalize_text, search_key
from service.filters.knowledge import words_condition
from service.models import CannedReply, KnowledgeArticle, Ticket
from service.services.knowledge import canned_reply_render

SEARCH_LIMIT = 8


def _ranked(queryset: QuerySet, query: str) -> QuerySet:
    words = search_key(query).split()
    if not words:
        return queryset.order_by("title", "pk")
    title_hits = sum(
        (
            Case(When(title_key__contains=word, then=Value(1)), default=Value(0), output_field=IntegerField())
            for word in words
        ),
        Value(0),
    )
    return (
        queryset.filter(words_condition(query))
        .annotate(title_key=Lower("title"))
        .annotate(rank=title_hits)
        .order_by("-rank", "title", "pk")
    )


def published_articles(*, query: str = "") -> QuerySet[KnowledgeArticle]:
    return _ranked(KnowledgeArticle.objects.filter(is_published=True).select_related("category"), query)


def active_canned_replies(*, query: str = "") -> QuerySet[CannedReply]:
    return _ranked(CannedReply.objects.filter(is_active=True).select_related("category"), query)


def all_articles() -> QuerySet[KnowledgeArticle]:
    """Every article, published or not (setup)."""
    return KnowledgeArticle.objects.select_related("category", "created_by").order_by("title", "pk")


def all_canned_replies() -> QuerySet[CannedReply]:
    return CannedReply.objects.select_related("category", "created_by").order_by("title", "pk")


def knowledge_ticket(*, user: User, pk: int) -> Ticket:
    """The ticket a reply is being written for, if the user may see it (404 otherwise)."""
    return get_for_user_or_404(
        Ticket.objects.select_related("customer", "owner"),
        user,
        "service",
        owner_field="owner",
        team_field="team",
        pk=pk,
    )


@dataclass(frozen=True)
class RenderedReply:
    reply: CannedReply
    text: str


@dataclass(frozen=True)
class KnowledgeResults:
    query: str
    articles: list[KnowledgeArticle]
    replies: list[RenderedReply]
    ticket: Ticket | None


def knowledge_search(
    *, user: User, query: str, ticket: Ticket | None = None, limit: int = SEARCH_LIMIT
) -> KnowledgeResults:
    """The best published articles and active canned replies for ``query`` (two queries), the
    replies filled in for ``ticket`` and the agent. An empty query finds nothing."""
    query = normalize_text(query)[:200]
    if not search_key(query):
        return KnowledgeResults(query=query, articles=[], replies=[], ticket=ticket)
    articles = list(published_articles(query=query)[:limit])
    replies = [
        RenderedReply(reply=reply, text=canned_reply_render(body=reply.body, ticket=ticket, agent=user))
        for reply in active_canned_replies(query=query)[:limit]
    ]
    return KnowledgeResults(query=query, articles=articles, replies=replies, ticket=ticket)
