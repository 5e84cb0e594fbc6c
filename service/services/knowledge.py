"""Writes of canned replies and knowledge base articles, and the filling of a reply's placeholders.

Each keeps a ``search_text`` (title, category and text through ``search_key``) so the agents'
search finds an answer whichever Persian keyboard typed it.
"""

import re

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from crm_site.models import User
from crm_site.text import normalize_text, search_key
from service.models import CannedReply, KnowledgeArticle, Ticket

PLACEHOLDERS = ("customer_name", "ticket_number", "agent_name")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def _search_text(item: CannedReply | KnowledgeArticle) -> str:
    category = item.category.name if item.category_id else ""
    return " ".join(part for part in (search_key(item.title), search_key(category), search_key(item.body)) if part)


def _check_placeholders(body: str) -> None:
    unknown = sorted({name for name in _PLACEHOLDER.findall(body) if name not in PLACEHOLDERS})
    if unknown:
        raise ValidationError(
            {
                "body": _("Unknown placeholders: %(names)s. Use {customer_name}, {ticket_number} or {agent_name}.")
                % {"names": ", ".join(f"{{{name}}}" for name in unknown)}
            }
        )


def _save(item: CannedReply | KnowledgeArticle, by: User | None):
    item.title = normalize_text(item.title)
    item.body = (item.body or "").strip()
    if item.pk is None and by is not None:
        item.created_by = by
    item.full_clean()
    item.search_text = _search_text(item)
    item.save()
    return item


@transaction.atomic
def canned_reply_save(*, reply: CannedReply, by: User | None = None) -> CannedReply:
    """Create or change a canned reply; its text may only use the known placeholders."""
    _check_placeholders(reply.body or "")
    return _save(reply, by)


@transaction.atomic
def canned_reply_set_active(*, reply: CannedReply, is_active: bool) -> CannedReply:
    reply.is_active = is_active
    reply.save(update_fields=["is_active"])
    return reply


@transaction.atomic
def knowledge_article_save(*, article: KnowledgeArticle, by: User | None = None) -> KnowledgeArticle:
    return _save(article, by)


@transaction.atomic
def knowledge_article_set_published(*, article: KnowledgeArticle, is_published: bool) -> KnowledgeArticle:
    article.is_published = is_published
    article.save(update_fields=["is_published", "updated_at"])
    return article


def canned_reply_render(*, body: str, ticket: Ticket | None, agent: User | None) -> str:
    """The reply's text with its placeholders filled for ``ticket`` (customer and owner loaded)
    and the agent writing it; without a ticket the ticket's placeholders stay as they are."""
    values = {}
    if agent is not None:
        values["agent_name"] = agent.get_full_name() or agent.get_username()
    if ticket is not None:
        values["customer_name"] = ticket.customer.name
        values["ticket_number"] = ticket.number
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), body)
