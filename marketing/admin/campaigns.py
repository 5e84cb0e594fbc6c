"""Admin pages: campaigns, their runs and recipients (written by the services and the sending
job; the admin is for looking, and for fixing a campaign's text or costs by hand)."""

from django.contrib import admin

from marketing.models import Campaign, CampaignRecipient, CampaignRun


class CampaignRunInline(admin.TabularInline):
    model = CampaignRun
    extra = 0
    can_delete = False
    fields = ["sequence", "status", "started_at", "finished_at", "audience_size", "holdout_size"]
    readonly_fields = fields


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["name", "channel", "status", "owner", "next_run_at", "approved_by", "created_at"]
    list_filter = ["status", "channel", "objective"]
    list_select_related = ["owner", "approved_by"]
    search_fields = ["name", "tracking_code"]
    filter_horizontal = ["segments", "excluded_segments"]
    raw_id_fields = ["owner", "approved_by"]
    readonly_fields = ["submitted_at", "approved_at", "started_at", "finished_at", "created_at", "updated_at"]
    inlines = [CampaignRunInline]


@admin.register(CampaignRecipient)
class CampaignRecipientAdmin(admin.ModelAdmin):
    list_display = ["campaign", "run", "customer", "status", "address", "processed_at", "opted_out_at"]
    list_filter = ["status"]
    list_select_related = ["campaign", "run", "customer"]
    search_fields = ["customer__code", "customer__name", "address"]
    raw_id_fields = ["run", "campaign", "customer", "outbox_message", "activity"]

    def has_add_permission(self, request) -> bool:
        return False
