"""Admin pages of the marketing app (imported by MarketingConfig.ready)."""

from marketing.admin import automation, campaigns, loyalty, segments  # noqa: F401
