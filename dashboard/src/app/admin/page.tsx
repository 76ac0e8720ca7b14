"use client";

import { useState } from "react";
import { useApiQuery } from "@/lib/query";
import type { PlatformStats } from "@/lib/types";
import { MessagesChart } from "@/components/MessagesChart";
import { Card, Empty, PageHeader, StatCard, PeriodSelect } from "@/components/ui";
import { QueryView } from "@/components/DataTable";

export default function AdminHome() {
  const [days, setDays] = useState(14);
  const stats = useApiQuery<PlatformStats>("/admin/stats", { days });
  const s = stats.data;
  const total = s ? s.messages_per_day.reduce((a, d) => a + d.messages, 0) : 0;
  return (
    <>
      <PageHeader
        title="Platform overview"
        actions={
          <PeriodSelect days={days} onChange={setDays} />
        }
      />
      <QueryView query={stats}>
        {(s) => (
          <div className="space-y-5">
            <div className="grid grid-cols-2 gap-3 lg:grid-cols-3 xl:grid-cols-6">
              <StatCard label="Tenants" value={s.tenants} />
              <StatCard label="Suspended" value={s.suspended_tenants} />
              <StatCard label="Messages" value={total} hint={`last ${days} days`} />
              <StatCard label="Leads" value={s.leads} />
              <StatCard label="Failed deliveries" value={s.failed_deliveries} />
              <StatCard label="Skipped events" value={s.skipped_events} />
            </div>
            <Card title="Messages per day (all tenants)">{total === 0 ? <Empty title="No messages in this period" /> : <MessagesChart data={s.messages_per_day} />}</Card>
          </div>
        )}
      </QueryView>
    </>
  );
}
