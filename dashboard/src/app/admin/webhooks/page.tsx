"use client";

import { useState } from "react";
import { api } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatDate } from "@/lib/hooks";
import { useAction, useApiQuery } from "@/lib/query";
import type { Page, WebhookEvent } from "@/lib/types";
import { DataTable } from "@/components/DataTable";
import { useFeedback } from "@/components/feedback";
import { Badge, Button, Empty, PageHeader, Select } from "@/components/ui";

const LIMIT = 20;
const EVENTS = "/admin/webhook-events";

/** Web hook events from Stripe and Crisp: failed ones first in mind, with a requeue for admins. */
export default function WebhookEventsPage() {
  const { me } = useAuth();
  const { confirm } = useFeedback();
  const [status, setStatus] = useState("failed");
  const [source, setSource] = useState("");
  const [page, setPage] = useState(1);
  const events = useApiQuery<Page<WebhookEvent>>(EVENTS, { status: status || undefined, source: source || undefined, page, limit: LIMIT });
  const admin = me?.platform_role === "admin";
  const requeue = useAction((e: WebhookEvent) => api.post(`${EVENTS}/${e.source}/${encodeURIComponent(e.id)}/requeue`), {
    success: "Event requeued: it is processed again now",
    invalidates: [EVENTS],
  });
  const ask = async (e: WebhookEvent) => {
    const ok = await confirm({
      title: `Process ${e.event_type} again?`,
      message: `The ${e.source} event gets a fresh set of attempts and runs now. This is recorded in the audit log.`,
      confirmLabel: "Requeue",
    });
    if (ok) requeue.mutate(e);
  };
  return (
    <>
      <PageHeader title="Web hook events" description="Events received from Stripe and Crisp. A failed event was tried until its attempts ran out; requeue it once the cause is fixed." />
      <div className="mb-4 grid max-w-md grid-cols-2 gap-3">
        <Select label="Status" value={status} onChange={(e) => { setPage(1); setStatus(e.target.value); }} data-testid="webhook-status">
          <option value="failed">Failed</option>
          <option value="received">Waiting</option>
          <option value="processed">Processed</option>
          <option value="">Any</option>
        </Select>
        <Select label="Source" value={source} onChange={(e) => { setPage(1); setSource(e.target.value); }} data-testid="webhook-source">
          <option value="">Stripe and Crisp</option>
          <option value="stripe">Stripe</option>
          <option value="crisp">Crisp</option>
        </Select>
      </div>
      <DataTable<WebhookEvent>
        query={events}
        rowKey={(e) => `${e.source}:${e.id}`}
        rowProps={(e) => ({ "data-testid": "webhook-row", "data-event-id": e.id })}
        empty={<Empty title={status === "failed" ? "No failed events" : "No events"} />}
        onPage={setPage}
        columns={[
          { header: "Source", cell: (e) => <Badge>{e.source}</Badge> },
          {
            header: "Event",
            cell: (e) => (
              <>
                <p className="font-medium text-slate-900">{e.event_type}</p>
                <p className="break-all text-xs text-slate-500">{e.id}</p>
              </>
            ),
          },
          { header: "Status", cell: (e) => <Badge tone={e.status === "failed" ? "red" : e.status === "processed" ? "green" : "slate"}>{e.status}</Badge> },
          { header: "Attempts", cell: (e) => e.attempts },
          { header: "Last error", className: "max-w-xs break-words text-xs", cell: (e) => e.last_error || "—" },
          { header: "Received", className: "whitespace-nowrap", cell: (e) => formatDate(e.received_at) },
          {
            header: <span className="sr-only">Actions</span>,
            className: "whitespace-nowrap text-right",
            cell: (e) =>
              admin && e.status === "failed" ? (
                <Button variant="secondary" size="sm" disabled={requeue.isPending} onClick={() => void ask(e)} data-testid="webhook-requeue" data-event-id={e.id}>
                  Requeue
                </Button>
              ) : null,
          },
        ]}
      />
    </>
  );
}
