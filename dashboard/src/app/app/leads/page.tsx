"use client";

import Link from "next/link";
import { useState } from "react";
import { api, errorMessage } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { downloadText, toCsv } from "@/lib/csv";
import { formatDate, useGet } from "@/lib/hooks";
import { LEAD_STATUSES, type Lead, type LeadStatus, type Page } from "@/lib/types";
import { useFeedback } from "@/components/feedback";
import { Badge, Button, Empty, ErrorBox, Loading, PageHeader, Pagination, Table, selectClass, td, th } from "@/components/ui";

const LIMIT = 20;

export default function LeadsPage() {
  const { can } = useAuth();
  const { toast } = useFeedback();
  const [status, setStatus] = useState("");
  const [page, setPage] = useState(1);
  const [exporting, setExporting] = useState(false);
  const [saving, setSaving] = useState<string | null>(null);
  const leads = useGet<Page<Lead>>("/customer/leads", { status, page, limit: LIMIT });
  const write = can("leads:write");

  const changeStatus = async (lead: Lead, next: LeadStatus) => {
    setSaving(lead.id);
    try {
      const res = await api.patch<Lead>(`/customer/leads/${lead.id}`, { status: next });
      if (leads.data) leads.setData({ ...leads.data, items: leads.data.items.map((l) => (l.id === lead.id ? res.data : l)) });
      toast("Lead updated", "success");
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setSaving(null);
    }
  };

  const exportCsv = async () => {
    setExporting(true);
    try {
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
      toast(`Exported ${all.length} lead${all.length === 1 ? "" : "s"}`, "success");
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setExporting(false);
    }
  };

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
            <Button variant="secondary" onClick={() => void exportCsv()} loading={exporting} disabled={!leads.data?.total} data-testid="leads-export">
              Export CSV
            </Button>
          </>
        }
      />
      {leads.error && <ErrorBox message={leads.error} onRetry={() => void leads.reload()} />}
      {leads.loading && !leads.data && <Loading />}
      {leads.data && leads.data.items.length === 0 && <Empty title="No leads yet">When visitors leave their contact details, they appear here.</Empty>}
      {leads.data && leads.data.items.length > 0 && (
        <>
          <Table>
            <thead>
              <tr>
                <th className={th}>Contact</th>
                <th className={th}>Intent</th>
                <th className={th}>Status</th>
                <th className={th}>Captured</th>
                <th className={th}>
                  <span className="sr-only">Conversation</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {leads.data.items.map((l) => (
                <tr key={l.id} data-testid="lead-row" data-lead-id={l.id}>
                  <td className={td}>
                    <p className="font-medium text-slate-900">{l.contact.name || l.contact.email || l.contact.phone || "Unknown"}</p>
                    <p className="text-xs text-slate-500">{[l.contact.email, l.contact.phone, l.contact.company].filter(Boolean).join(" · ")}</p>
                  </td>
                  <td className={td}>{l.intent ?? "—"}</td>
                  <td className={td}>
                    {write ? (
                      <select
                        name="status"
                        aria-label="Lead status"
                        className={selectClass}
                        value={l.status}
                        disabled={saving === l.id}
                        onChange={(e) => void changeStatus(l, e.target.value as LeadStatus)}
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
                    )}
                  </td>
                  <td className={td + " whitespace-nowrap"}>{formatDate(l.created_at)}</td>
                  <td className={td + " text-right"}>
                    {l.conversation_id && (
                      <Link prefetch={false} className="text-sm text-brand-600 hover:underline" href={`/app/conversations/view/?id=${l.conversation_id}`}>
                        Conversation
                      </Link>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination page={page} limit={LIMIT} total={leads.data.total} onPage={setPage} />
        </>
      )}
    </>
  );
}
