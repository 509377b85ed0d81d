"""The admin's view of opt-downs: pauses (who is paused until when, and how
each ended) and the evidence of every frequency and pause choice. People
appear masked, as everywhere in the admin's lists. Imported by `admin`."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .admin_people import ReadOnlyAdmin, may_export
from .evidence import csv_lines, optdown_rows
from .models import OptDownRecord, Pause
from .optdown import frequency_label


@admin.register(Pause)
class PauseAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "subscriber", "days", "resumes_at", "reminded_at", "ended_at", "ended_by"]
    list_filter = ["days", "ended_by", ("ended_at", admin.EmptyFieldListFilter)]
    search_fields = ["subscriber__email"]
    date_hierarchy = "resumes_at"


@admin.register(OptDownRecord)
class OptDownRecordAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "subscriber", "kind", "chosen", "source", "language", "undone_at"]
    list_filter = ["kind", "source", "language"]
    search_fields = ["subscriber__email"]
    actions = ["export_selected"]

    @admin.action(description=_("Export the selected records (CSV)"))
    def export_selected(
        self, request: HttpRequest, queryset: QuerySet[OptDownRecord]
    ) -> StreamingHttpResponse:
        # The file holds full addresses: the same permissions as consent evidence.
        if not may_export(request):
            raise PermissionDenied
        response = StreamingHttpResponse(
            csv_lines(optdown_rows(queryset)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="opt-downs-{timezone.localdate():%Y-%m-%d}.csv"'
        )
        return response

    @admin.display(description=_("chosen"))
    def chosen(self, record: OptDownRecord) -> str:
        if record.kind in (OptDownRecord.Kind.FREQUENCY, OptDownRecord.Kind.FREQUENCY_UNDONE):
            return frequency_label(record.choice)
        if not record.choice.isdigit():
            return record.choice
        days = int(record.choice)
        return ngettext("%(days)s day", "%(days)s days", days) % {"days": days}
