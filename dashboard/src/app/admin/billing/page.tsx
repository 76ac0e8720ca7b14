"use client";

import { formatDay, formatMoney } from "@/lib/hooks";
import { useApiQuery } from "@/lib/query";
import type { SubscriptionOverview, TenantBilling } from "@/lib/types";
import { DataTable, QueryView, loaded } from "@/components/DataTable";
import { Badge, Card, Empty, PageHeader, StatCard } from "@/components/ui";

function Counts({ counts, testId }: { counts: Record<string, number>; testId: string }) {
  const rows = Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  if (rows.length === 0) return <p className="text-sm text-slate-500">No tenants.</p>;
  return (
    <dl className="divide-y divide-slate-100 text-sm" data-testid={testId}>
      {rows.map(([name, n]) => (
        <div key={name} className="flex justify-between py-1.5">
          <dt className="text-slate-700">{name.replace(/_/g, " ")}</dt>
          <dd className="font-medium text-slate-900">{n}</dd>
        </div>
      ))}
    </dl>
  );
}

export default function AdminBillingPage() {
  const overview = useApiQuery<SubscriptionOverview>("/admin/billing");
  return (
    <>
      <PageHeader title="Billing" description="Revenue from live subscriptions, and accounts with a subscription or an override." />
      <QueryView query={overview}>
        {(o) => (
          <div className="space-y-5">
            <div className="grid grid-cols-2 gap-3 lg:grid-cols-4">
              <StatCard label="MRR" value={<span data-testid="admin-mrr">{formatMoney(o.mrr_cents, o.currency)}</span>} hint="active and past-due subscriptions" />
              <StatCard label="Active subscriptions" value={<span data-testid="admin-active-subscriptions">{o.active_subscriptions}</span>} />
            </div>
            <div className="grid gap-5 md:grid-cols-2">
              <Card title="Tenants by status">
                <Counts counts={o.by_status} testId="billing-by-status" />
              </Card>
              <Card title="Tenants by plan">
                <Counts counts={o.by_plan} testId="billing-by-plan" />
              </Card>
            </div>
            <Card title="Accounts">
              <DataTable<TenantBilling>
                query={loaded(o.accounts)}
                rowKey={(a) => a.tenant_id}
                rowProps={(a) => ({ "data-testid": "billing-account-row", "data-tenant-id": a.tenant_id })}
                empty={<Empty title="No subscriptions or overrides yet" />}
                columns={[
                  { header: "Tenant", className: "font-medium text-slate-900", cell: (a) => a.tenant_name },
                  {
                    header: "Plan",
                    cell: (a) => (
                      <>
                        <Badge>{a.plan}</Badge>
                        {a.plan_override && (
                          <span className="ml-1">
                            <Badge tone="blue">override: {a.plan_override}</Badge>
                          </span>
                        )}
                        {a.comped && (
                          <span className="ml-1">
                            <Badge tone="green">comped</Badge>
                          </span>
                        )}
                      </>
                    ),
                  },
                  {
                    header: "Status",
                    cell: (a) => <Badge tone={a.status === "past_due" || a.status === "unpaid" ? "red" : a.status === "active" ? "green" : "slate"}>{a.status.replace(/_/g, " ")}</Badge>,
                  },
                  { header: "MRR", className: "whitespace-nowrap", cell: (a) => formatMoney(a.mrr_cents, o.currency) },
                  { header: "Period end", className: "whitespace-nowrap", cell: (a) => formatDay(a.period_end) },
                  { header: "Past due since", className: "whitespace-nowrap", cell: (a) => formatDay(a.past_due_since) },
                  { header: "Note", className: "text-xs", cell: (a) => a.note || "—" },
                ]}
              />
            </Card>
          </div>
        )}
      </QueryView>
    </>
  );
}
