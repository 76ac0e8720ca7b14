"use client";

import Link from "next/link";
import { useState } from "react";
import { useAuth } from "@/lib/auth";
import { useApiQuery } from "@/lib/query";
import type { TenantStats } from "@/lib/types";
import { MessagesChart } from "@/components/MessagesChart";
import { Card, Empty, PageHeader, StatCard, PeriodSelect } from "@/components/ui";
import { QueryView } from "@/components/DataTable";

export default function TenantHome() {
  const { me } = useAuth();
  const [days, setDays] = useState(14);
  const stats = useApiQuery<TenantStats>("/customer/stats", { days });
  const s = stats.data;
  const totalMessages = s ? s.messages_per_day.reduce((a, d) => a + d.messages, 0) : 0;

  return (
    <>
      <PageHeader
        title={me?.tenant_name ? `${me.tenant_name}` : "Home"}
        description="How your front desk is doing."
        actions={
          <PeriodSelect days={days} onChange={setDays} />
        }
      />
      <QueryView query={stats}>
        {(s) => (
          <div className="space-y-5">
            <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
              <StatCard label="Messages" value={totalMessages} hint={`last ${days} days`} />
              <StatCard label="Conversations" value={s.conversations} />
              <StatCard
                label="Handoffs waiting"
                value={s.handoffs}
                hint={
                  s.handoffs > 0 ? (
                    <Link prefetch={false} className="text-brand-600 hover:underline" href="/app/conversations/?status=handoff">
                      Review
                    </Link>
                  ) : undefined
                }
              />
              <StatCard label="Leads" value={s.leads} />
            </div>
            <Card title="Visitor messages per day">
              {totalMessages === 0 ? (
                <Empty title="No messages yet">
                  Once visitors chat with your bot, activity shows up here.{" "}
                  <Link prefetch={false} href="/onboarding/" className="text-brand-600 hover:underline">
                    Finish setup
                  </Link>
                </Empty>
              ) : (
                <MessagesChart data={s.messages_per_day} />
              )}
            </Card>
            <div className="grid gap-5 md:grid-cols-2">
              <Card title="Top intents">
                {s.top_intents.length === 0 ? (
                  <p className="text-sm text-slate-500">No intents detected yet.</p>
                ) : (
                  <CountList items={s.top_intents} />
                )}
              </Card>
              <Card title="Leads by status">
                {s.leads_by_status.length === 0 ? (
                  <p className="text-sm text-slate-500">No leads captured yet.</p>
                ) : (
                  <CountList items={s.leads_by_status} />
                )}
              </Card>
            </div>
          </div>
        )}
      </QueryView>
    </>
  );
}

function CountList({ items }: { items: { name: string; count: number }[] }) {
  const max = Math.max(1, ...items.map((i) => i.count));
  return (
    <ul className="space-y-2">
      {items.map((i) => (
        <li key={i.name} className="text-sm">
          <div className="flex justify-between">
            <span className="text-slate-700">{i.name}</span>
            <span className="font-medium text-slate-900">{i.count}</span>
          </div>
          <div className="mt-1 h-1.5 rounded bg-slate-100">
            <div className="h-1.5 rounded bg-brand-500" style={{ width: `${(i.count / max) * 100}%` }} />
          </div>
        </li>
      ))}
    </ul>
  );
}
