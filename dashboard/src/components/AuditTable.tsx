"use client";

import { useState } from "react";
import { formatDate } from "@/lib/hooks";
import { useApiQuery } from "@/lib/query";
import type { AuditEvent, Page } from "@/lib/types";
import { DataTable } from "./DataTable";
import { Empty, SearchForm } from "./ui";

const LIMIT = 25;

export function AuditTable({ url, showTenant }: { url: string; showTenant?: boolean }) {
  const [action, setAction] = useState("");
  const [page, setPage] = useState(1);
  const events = useApiQuery<Page<AuditEvent>>(url, { action, page, limit: LIMIT });
  return (
    <>
      <SearchForm
        name="action"
        label="Action"
        placeholder="Filter by action, e.g. config.update"
        maxLength={64}
        button="Filter"
        onSearch={(text) => {
          setPage(1);
          setAction(text);
        }}
      />
      <DataTable<AuditEvent>
        query={events}
        rowKey={(ev) => ev.id}
        empty={<Empty title="No events" />}
        onPage={setPage}
        columns={[
          { header: "When", className: "whitespace-nowrap", cell: (ev) => formatDate(ev.created_at) },
          { header: "Actor", className: "max-w-[12rem] break-all text-xs", cell: (ev) => ev.actor },
          { header: "Action", cell: (ev) => <code className="text-xs">{ev.action}</code> },
          { header: "Target", className: "max-w-[12rem] break-all text-xs", cell: (ev) => ev.target ?? "—" },
          showTenant && { header: "Tenant", className: "text-xs", cell: (ev) => (ev.tenant_id ? ev.tenant_id.slice(0, 8) : "—") },
          {
            header: "Details",
            className: "max-w-xs break-all text-xs text-slate-500",
            cell: (ev) => (
              <>
                {Object.keys(ev.details ?? {}).length ? JSON.stringify(ev.details) : "—"}
                {ev.ip && <span className="block">ip {ev.ip}</span>}
              </>
            ),
          },
        ]}
      />
    </>
  );
}
