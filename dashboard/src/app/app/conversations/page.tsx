"use client";

import { useState, type FormEvent } from "react";
import Link from "next/link";
import { formatDate, useSearch } from "@/lib/hooks";
import { useApiQuery } from "@/lib/query";
import type { ConversationSummary, Page } from "@/lib/types";
import { DataTable } from "@/components/DataTable";
import { Badge, Button, Empty, PageHeader, plainInputClass, selectClass } from "@/components/ui";

const LIMIT = 20;

function statusTone(s: string): "green" | "amber" | "slate" {
  return s === "open" ? "green" : s === "handoff" ? "amber" : "slate";
}

interface Filters {
  q: string;
  status: string;
  channel: string;
  intent: string;
  since: string;
  until: string;
}

const EMPTY: Filters = { q: "", status: "", channel: "", intent: "", since: "", until: "" };

function toIso(date: string, endOfDay: boolean): string {
  if (!date) return "";
  return new Date(`${date}T${endOfDay ? "23:59:59" : "00:00:00"}`).toISOString();
}

export default function ConversationsPage() {
  // the link's filters (?status=handoff, ?q=...), known after hydration (a static export has no server params)
  const search = useSearch();
  const fromLink: Filters | null = search && { ...EMPTY, status: search.get("status") ?? "", q: search.get("q") ?? "" };
  const [edited, setDraft] = useState<Filters | null>(null);
  const [applied, setFilters] = useState<Filters | null>(null);
  const draft = edited ?? fromLink ?? EMPTY;
  const filters = applied ?? fromLink ?? EMPTY;
  const [page, setPage] = useState(1);

  const list = useApiQuery<Page<ConversationSummary>>(search ? "/customer/conversations" : null, {
    q: filters.q.trim(),
    status: filters.status,
    channel: filters.channel.trim(),
    intent: filters.intent.trim(),
    since: toIso(filters.since, false),
    until: toIso(filters.until, true),
    page,
    limit: LIMIT,
  });

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setPage(1);
    setFilters(draft);
  };

  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  return (
    <>
      <PageHeader title="Conversations" description="Every chat your bot has had, newest first." />
      <form onSubmit={apply} className="mb-4 grid grid-cols-2 gap-2 rounded-lg border border-slate-200 bg-white p-3 md:grid-cols-7" role="search">
        <input name="q" aria-label="Search" placeholder="Search messages…" value={draft.q} onChange={set("q")} maxLength={200} className={plainInputClass + " col-span-2"} />
        <select name="status" aria-label="Status" value={draft.status} onChange={set("status")} className={selectClass + " w-full"}>
          <option value="">Any status</option>
          <option value="open">Open</option>
          <option value="handoff">Handoff</option>
          <option value="closed">Closed</option>
        </select>
        <input name="channel" aria-label="Channel" placeholder="Channel" value={draft.channel} onChange={set("channel")} maxLength={32} className={plainInputClass} />
        <input name="intent" aria-label="Intent" placeholder="Intent" value={draft.intent} onChange={set("intent")} maxLength={64} className={plainInputClass} />
        <input name="since" aria-label="Since" type="date" value={draft.since} onChange={set("since")} className={plainInputClass} />
        <input name="until" aria-label="Until" type="date" value={draft.until} onChange={set("until")} className={plainInputClass} />
        <div className="col-span-2 flex gap-2 md:col-span-7">
          <Button type="submit" size="sm" data-testid="conversations-filter">
            Apply filters
          </Button>
          <Button
            variant="ghost"
            size="sm"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
              setPage(1);
            }}
          >
            Clear
          </Button>
        </div>
      </form>
      <DataTable<ConversationSummary>
        query={list}
        rowKey={(c) => c.id}
        rowProps={() => ({ className: "hover:bg-slate-50", "data-testid": "conversation-row" })}
        empty={<Empty title="No conversations found">Try other filters, or chat with your bot from the setup guide.</Empty>}
        onPage={setPage}
        columns={[
          {
            header: "Last message",
            className: "max-w-xs",
            cell: (c) => (
              <>
                <Link prefetch={false} href={`/app/conversations/view/?id=${encodeURIComponent(c.id)}`} className="block truncate font-medium text-brand-700 hover:underline">
                  {c.last_message || <span className="text-slate-400">(no messages)</span>}
                </Link>
                <span className="text-xs text-slate-400">{c.session_id}</span>
              </>
            ),
          },
          { header: "Status", cell: (c) => <Badge tone={statusTone(c.status)}>{c.status}</Badge> },
          { header: "Channel", cell: (c) => c.channel },
          { header: "Intent", cell: (c) => c.last_intent ?? "—" },
          { header: "Messages", cell: (c) => c.message_count },
          { header: "Updated", className: "whitespace-nowrap", cell: (c) => formatDate(c.last_message_at ?? c.updated_at) },
        ]}
      />
    </>
  );
}
