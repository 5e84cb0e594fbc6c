"""The service app's data, one module per part of the service process.

tickets       tickets and their categories and skills, the conversation, attachments, history, transfers
assignment    the rules that give a new ticket its one owner
sla           business calendars, holidays, service-level policies, the service settings
contractors   contractor companies and people, work orders and their updates
satisfaction  CSAT surveys, canned replies and knowledge base articles
"""

from service.models.assignment import AssignmentRule
from service.models.contractors import ContractorCompany, ContractorProfile, WorkOrder, WorkOrderUpdate
from service.models.satisfaction import CannedReply, KnowledgeArticle, SatisfactionSurvey
from service.models.sla import BusinessCalendar, Holiday, ServiceSettings, SlaPolicy, WorkingPeriod
from service.models.tickets import (
    Skill,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketEvent,
    TicketMessage,
    TicketTransfer,
)

__all__ = [
    "AssignmentRule",
    "BusinessCalendar",
    "CannedReply",
    "ContractorCompany",
    "ContractorProfile",
    "Holiday",
    "KnowledgeArticle",
    "SatisfactionSurvey",
    "ServiceSettings",
    "Skill",
    "SlaPolicy",
    "Ticket",
    "TicketAttachment",
    "TicketCategory",
    "TicketEvent",
    "TicketMessage",
    "TicketTransfer",
    "WorkOrder",
    "WorkOrderUpdate",
    "WorkingPeriod",
]
