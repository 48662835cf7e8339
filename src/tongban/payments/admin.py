from __future__ import annotations

from django.contrib import admin

from tongban.payments.models import PaymentCallback, PaymentOrder, PaymentRefund


class PaymentCallbackInline(admin.TabularInline):
    model = PaymentCallback
    extra = 0
    can_delete = False
    fields = ("received_at", "outcome", "reason", "signature_valid", "trade_no", "nonce")
    readonly_fields = fields


class PaymentRefundInline(admin.TabularInline):
    model = PaymentRefund
    extra = 0
    can_delete = False
    fields = ("created_at", "refund_no", "amount", "reason", "actor")
    readonly_fields = fields


@admin.register(PaymentOrder)
class PaymentOrderAdmin(admin.ModelAdmin):
    list_display = ("order_no", "case", "amount", "status", "provider", "paid_at")
    list_filter = ("status", "provider")
    search_fields = ("order_no", "provider_trade_no", "case__case_no")
    # Money state changes only through the services (callbacks, refunds), never by hand.
    readonly_fields = [f.name for f in PaymentOrder._meta.fields]
    inlines = [PaymentRefundInline, PaymentCallbackInline]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(PaymentCallback)
class PaymentCallbackAdmin(admin.ModelAdmin):
    list_display = ("received_at", "provider", "order", "outcome", "reason", "signature_valid")
    list_filter = ("outcome", "provider", "signature_valid")
    search_fields = ("order__order_no", "trade_no", "nonce")
    readonly_fields = [f.name for f in PaymentCallback._meta.fields]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
