"""The refund invariants ``ledger_audit`` checks (DESIGN.md "Refunds"; issue 10, item 8).

- every approved or paid payment refund holds exactly one ``refund_out`` not reversed;
- every "not processed" one has each debit matched by one ``refund_reversal``;
- a refused or still-requested one holds nothing (a retry after a failure keeps its matched pair);
- never more debits than attempts (a retry changes the key, so a replay cannot debit twice).
"""

from __future__ import annotations

from django.db.models import Count, Q

from billing.models import LedgerEntry

from .models import Destination, RefundRequest

Kind = LedgerEntry.Kind
Status = RefundRequest.Status


def refunds_audit(storefront, report) -> None:
    requests = (
        RefundRequest.objects.filter(storefront=storefront, target=RefundRequest.For.PAYMENT)
        .exclude(destination=Destination.CREDITS)
        .only("pk", "status", "amount", "bonus_amount")
    )
    entries = (
        LedgerEntry.objects.filter(storefront=storefront, reference__startswith="refund:")
        .values("reference")
        .annotate(
            outs=Count("pk", filter=Q(kind=Kind.REFUND_OUT)),
            reversals=Count("pk", filter=Q(kind=Kind.REFUND_REVERSAL)),
        )
    )
    counts = {row["reference"]: (row["outs"], row["reversals"]) for row in entries}
    for request in requests.iterator():
        outs, reversals = counts.get(f"refund:{request.pk}", (0, 0))
        holding = 1 if request.status in (Status.APPROVED, Status.PAID) else 0
        if outs - reversals != holding or outs > request.attempt + 1 or reversals > outs:
            report.breaches.append(
                f"[{storefront.slug}] refund request {request.pk} ({request.status}, attempt "
                f"{request.attempt}) has {outs} refund_out and {reversals} reversal entries"
            )
