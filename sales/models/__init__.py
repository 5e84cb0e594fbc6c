"""The sales app's data, one module per part of the sales process.

catalog      products, their hierarchical categories, and the precomputed suggestion tables
leads        leads, assignment rules and their history, scoring rules, disqualification reasons
pipeline     pipelines and stages, opportunities with line items, stage history, buying roles
activities   calls, meetings and tasks with due times and reminders
orders       quotes, orders, invoices and payments, with their lines
returns      goods customers brought back from an order, with what each return refunds
aftersale    the sales settings (post-purchase messages, quiet hours) and satisfaction surveys
"""

from sales.models.activities import Activity
from sales.models.aftersale import SalesSettings, SurveyInvitation
from sales.models.catalog import GroupProductPopularity, Product, ProductAffinity, ProductCategory
from sales.models.leads import AssignmentRule, DisqualifyReason, Lead, LeadAssignment, ScoringRule
from sales.models.orders import Invoice, Order, OrderLine, Payment, Quote, QuoteLine
from sales.models.pipeline import BuyingRole, LossReason, Opportunity, OpportunityLine, Pipeline, Stage, StageChange
from sales.models.returns import OrderReturn, OrderReturnLine

__all__ = [
    "Activity",
    "AssignmentRule",
    "BuyingRole",
    "DisqualifyReason",
    "GroupProductPopularity",
    "Invoice",
    "Lead",
    "LeadAssignment",
    "LossReason",
    "Opportunity",
    "OpportunityLine",
    "Order",
    "OrderLine",
    "OrderReturn",
    "OrderReturnLine",
    "Payment",
    "Pipeline",
    "Product",
    "ProductAffinity",
    "ProductCategory",
    "Quote",
    "QuoteLine",
    "SalesSettings",
    "ScoringRule",
    "Stage",
    "StageChange",
    "SurveyInvitation",
]
