"""The messaging gateway: SMS and email backends behind a database outbox.

Apps never call a backend directly: they call ``crm_site.messaging.services.message_enqueue``,
which writes an ``OutboxMessage`` row, and the dispatcher task sends it.
"""
