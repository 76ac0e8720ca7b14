"use client";

import Link from "next/link";
import { useState } from "react";
import { api } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { downloadText, toCsv } from "@/lib/csv";
import { formatDate } from "@/lib/hooks";
import { useAction, useApiQuery } from "@/lib/query";
import { LEAD_STATUSES, type Lead, type LeadStatus, type Page } from "@/lib/types";
import { DataTable } from "@/components/DataTable";
import { Badge, Button, Empty, PageHeader, selectClass } from "@/components/ui";

const LIMIT = 20;

export default function LeadsPage() {
  const { can } = useAuth();
  const [status, setStatus] = useState("");
  const [page, setPage] = useState(1);
  const leads = useApiQuery<Page<Lead>>("/customer/leads", { status, page, limit: LIMIT });
  const write = can("leads:write");

  const changeStatus = useAction(({ lead, next }: { lead: Lead; next: LeadStatus }) => api.patch<Lead>(`/customer/leads/${lead.id}`, { status: next }), {
    success: "Lead updated",
    invalidates: ["/customer/leads"],
  });
  const saving = changeStatus.isPending ? changeStatus.variables?.lead.id : undefined;

  const exportCsv = useAction(
    async () => {
      const all: Lead[] = [];
      for (let p = 1; p <= 100; p++) {
        const res = await api.get<Page<Lead>>("/customer/leads", { params: { page: p, limit: 100, ...(status ? { status } : {}) } });
        all.push(...res.data.items);
        if (all.length >= res.data.total || res.data.items.length === 0) break;
      }
      const rows = [
        ["id", "created_at", "status", "name", "email", "phone", "company", "intent", "conversation_id"],
        ...all.map((l) => [l.id, l.created_at, l.status, l.contact.name, l.contact.email, l.contact.phone, l.contact.company, l.intent, l.conversation_id]),
      ];
      downloadText(`leads-${new Date().toISOString().slice(0, 10)}.csv`, toCsv(rows));
      return all.length;
    },
    { success: (n) => `Exported ${n} lead${n === 1 ? "" : "s"}` },
  );

  return (
    <>
      <PageHeader
        title="Leads"
        description="Contacts your bot captured."
        actions={
          <>
            <select
              name="status"
              aria-label="Filter by status"
              className={selectClass}
              value={status}
              onChange={(e) => {
                setStatus(e.target.value);
                setPage(1);
              }}
            >
              <option value="">All statuses</option>
              {LEAD_STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
            <Button variant="secondary" onClick={() => exportCsv.mutate()} loading={exportCsv.isPending} disabled={!leads.data?.total} data-testid="leads-export">
              Export CSV
            </Button>
          </>
        }
      />
      <DataTable<Lead>
        query={leads}
        rowKey={(l) => l.id}
        rowProps={(l) => ({ "data-testid": "lead-row", "data-lead-id": l.id })}
        empty={<Empty title="No leads yet">When visitors leave their contact details, they appear here.</Empty>}
        onPage={setPage}
        columns={[
          {
            header: "Contact",
            cell: (l) => (
              <>
                <p className="font-medium text-slate-900">{l.contact.name || l.contact.email || l.contact.phone || "Unknown"}</p>
                <p className="text-xs text-slate-500">{[l.contact.email, l.contact.phone, l.contact.company].filter(Boolean).join(" · ")}</p>
              </>
            ),
          },
          { header: "Intent", cell: (l) => l.intent ?? "—" },
          {
            header: "Status",
            cell: (l) =>
              write ? (
                <select
                  name="status"
                  aria-label="Lead status"
                  className={selectClass}
                  value={l.status}
                  disabled={saving === l.id}
                  onChange={(e) => changeStatus.mutate({ lead: l, next: e.target.value as LeadStatus })}
                  data-testid="lead-status"
                >
                  {LEAD_STATUSES.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              ) : (
                <Badge>{l.status}</Badge>
              ),
          },
          { header: "Captured", className: "whitespace-nowrap", cell: (l) => formatDate(l.created_at) },
          {
            header: <span className="sr-only">Conversation</span>,
            className: "text-right",
            cell: (l) =>
              l.conversation_id && (
                <Link prefetch={false} className="text-sm text-brand-600 hover:underline" href={`/app/conversations/view/?id=${l.conversation_id}`}>
                  Conversation
                </Link>
              ),
          },
        ]}
      />
    </>
  );
}
