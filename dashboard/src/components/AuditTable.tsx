"use client";

import { useState, type FormEvent } from "react";
import { formatDate, useGet } from "@/lib/hooks";
import type { AuditEvent, Page } from "@/lib/types";
import { Button, Empty, ErrorBox, Loading, Pagination, Table, plainInputClass, td, th } from "./ui";

const LIMIT = 25;

export function AuditTable({ url, showTenant }: { url: string; showTenant?: boolean }) {
  const [draft, setDraft] = useState("");
  const [action, setAction] = useState("");
  const [page, setPage] = useState(1);
  const events = useGet<Page<AuditEvent>>(url, { action, page, limit: LIMIT });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setPage(1);
    setAction(draft.trim());
  };
  return (
    <>
      <form onSubmit={submit} className="mb-4 flex max-w-md gap-2" role="search">
        <input name="action" aria-label="Action" placeholder="Filter by action, e.g. config.update" maxLength={64} value={draft} onChange={(e) => setDraft(e.target.value)} className={plainInputClass} />
        <Button type="submit" variant="secondary">
          Filter
        </Button>
      </form>
      {events.error && <ErrorBox message={events.error} onRetry={() => void events.reload()} />}
      {events.loading && !events.data && <Loading />}
      {events.data && events.data.items.length === 0 && <Empty title="No events" />}
      {events.data && events.data.items.length > 0 && (
        <>
          <Table>
            <thead>
              <tr>
                <th className={th}>When</th>
                <th className={th}>Actor</th>
                <th className={th}>Action</th>
                <th className={th}>Target</th>
                {showTenant && <th className={th}>Tenant</th>}
                <th className={th}>Details</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {events.data.items.map((ev) => (
                <tr key={ev.id}>
                  <td className={td + " whitespace-nowrap"}>{formatDate(ev.created_at)}</td>
                  <td className={td + " max-w-[12rem] break-all text-xs"}>{ev.actor}</td>
                  <td className={td}>
                    <code className="text-xs">{ev.action}</code>
                  </td>
                  <td className={td + " max-w-[12rem] break-all text-xs"}>{ev.target ?? "—"}</td>
                  {showTenant && <td className={td + " text-xs"}>{ev.tenant_id ? ev.tenant_id.slice(0, 8) : "—"}</td>}
                  <td className={td + " max-w-xs break-all text-xs text-slate-500"}>
                    {Object.keys(ev.details ?? {}).length ? JSON.stringify(ev.details) : "—"}
                    {ev.ip && <span className="block">ip {ev.ip}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination page={page} limit={LIMIT} total={events.data.total} onPage={setPage} />
        </>
      )}
    </>
  );
}
