"use client";

import { useEffect, useState, type FormEvent } from "react";
import Link from "next/link";
import { formatDate, useGet } from "@/lib/hooks";
import type { ConversationSummary, Page } from "@/lib/types";
import { Badge, Button, Empty, ErrorBox, Loading, PageHeader, Pagination, Table, plainInputClass, selectClass, td, th } from "@/components/ui";

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
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [page, setPage] = useState(1);
  const [ready, setReady] = useState(false);

  useEffect(() => {
    const sp = new URLSearchParams(window.location.search);
    const init = { ...EMPTY, status: sp.get("status") ?? "", q: sp.get("q") ?? "" };
    setDraft(init);
    setFilters(init);
    setReady(true);
  }, []);

  const list = useGet<Page<ConversationSummary>>(ready ? "/customer/conversations" : null, {
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

  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));

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
      {list.error && <ErrorBox message={list.error} onRetry={() => void list.reload()} />}
      {(list.loading || !ready) && !list.data && <Loading />}
      {list.data && list.data.items.length === 0 && <Empty title="No conversations found">Try other filters, or chat with your bot from the setup guide.</Empty>}
      {list.data && list.data.items.length > 0 && (
        <>
          <Table>
            <thead>
              <tr>
                <th className={th}>Last message</th>
                <th className={th}>Status</th>
                <th className={th}>Channel</th>
                <th className={th}>Intent</th>
                <th className={th}>Messages</th>
                <th className={th}>Updated</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {list.data.items.map((c) => (
                <tr key={c.id} className="hover:bg-slate-50" data-testid="conversation-row">
                  <td className={td + " max-w-xs"}>
                    <Link prefetch={false} href={`/app/conversations/view/?id=${encodeURIComponent(c.id)}`} className="block truncate font-medium text-brand-700 hover:underline">
                      {c.last_message || <span className="text-slate-400">(no messages)</span>}
                    </Link>
                    <span className="text-xs text-slate-400">{c.session_id}</span>
                  </td>
                  <td className={td}>
                    <Badge tone={statusTone(c.status)}>{c.status}</Badge>
                  </td>
                  <td className={td}>{c.channel}</td>
                  <td className={td}>{c.last_intent ?? "—"}</td>
                  <td className={td}>{c.message_count}</td>
                  <td className={td + " whitespace-nowrap"}>{formatDate(c.last_message_at ?? c.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination page={page} limit={LIMIT} total={list.data.total} onPage={setPage} />
        </>
      )}
    </>
  );
}
