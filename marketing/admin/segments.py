"""Admin: segments, static list members, membership stays and size snapshots (for support; the
rules are edited on the marketing pages, where they are validated)."""

from django.contrib import admin

from marketing.models import Segment, SegmentMember, SegmentMembership, SegmentSnapshot


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "is_active", "last_count", "last_counted_at"]
    list_filter = ["kind", "is_active"]
    list_select_related = ["parent"]
    search_fields = ["name", "description"]
    raw_id_fields = ["parent", "owner"]
    readonly_fields = ["rules", "last_count", "last_counted_at", "membership_refreshed_at", "created_at", "updated_at"]


@admin.register(SegmentMember)
class SegmentMemberAdmin(admin.ModelAdmin):
    list_display = ["segment", "customer", "added_at", "added_by"]
    list_select_related = ["segment", "customer", "added_by"]
    list_filter = ["segment"]
    raw_id_fields = ["segment", "customer", "added_by"]
    search_fields = ["customer__code", "customer__name"]


@admin.register(SegmentMembership)
class SegmentMembershipAdmin(admin.ModelAdmin):
    list_display = ["segment", "customer", "entered_at", "left_at"]
    list_select_related = ["segment", "customer"]
    list_filter = ["segment"]
    raw_id_fields = ["segment", "customer"]
    date_hierarchy = "entered_at"


@admin.register(SegmentSnapshot)
class SegmentSnapshotAdmin(admin.ModelAdmin):
    list_display = ["segment", "taken_at", "size", "campaign_run"]
    list_select_related = ["segment"]
    list_filter = ["segment"]
    raw_id_fields = ["segment", "campaign_run"]
