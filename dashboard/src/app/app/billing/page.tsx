"use client";

import { api } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatDay, formatMoney, useQueryParam } from "@/lib/hooks";
import { useAction, useApiQuery } from "@/lib/query";
import type { Billing, BillingPlan, BillingRedirect, Counted, Invoice } from "@/lib/types";
import { DataTable, QueryView, loaded } from "@/components/DataTable";
import { Badge, Button, Card, Empty, ErrorBox, PageHeader, cx } from "@/components/ui";

const POLL_MS = 2000;
const POLL_TIMES = 5;

const STATUS_TONE: Record<string, "slate" | "green" | "amber" | "red" | "blue"> = {
  active: "green",
  comped: "green",
  trialing: "blue",
  past_due: "amber",
  unpaid: "red",
  canceled: "slate",
};

function statusLabel(status: string): string {
  return status.replace(/_/g, " ");
}

function planPrice(p: BillingPlan): string {
  if (p.price_cents > 0) return `${formatMoney(p.price_cents, p.currency)}/month`;
  return p.monthly_messages === null ? "Custom pricing" : "Free";
}

function limit(n: number | null, unit: string): string {
  return n === null ? `Unlimited ${unit}` : `${n} ${unit}`;
}

function counted(c: Counted, unit: string): string {
  return c.limit === null ? `${c.used} ${unit} (unlimited)` : `${c.used} of ${c.limit} ${unit}`;
}

export default function BillingPage() {
  const { can } = useAuth();
  const canRead = can("billing:read");
  const manage = can("billing:manage");
  const checkout = useQueryParam("checkout");
  // After Stripe Checkout the plan changes when Stripe's web hook arrives: re-fetch a few times.
  const billing = useApiQuery<Billing>(canRead ? "/customer/billing" : null, undefined, {
    refetchInterval: (data, fetches) => (checkout === "success" && data && !data.subscribed && fetches <= POLL_TIMES ? POLL_MS : false),
  });
  const b = billing.data;

  // to Stripe (Checkout or the portal); the button stays busy while the browser leaves
  const redirect = useAction((r: { key: string; path: string; body?: unknown }) => api.post<BillingRedirect>(r.path, r.body), {
    onSuccess: (res) => window.location.assign(res.data.url),
  });
  const busy = redirect.isPending || redirect.isSuccess ? redirect.variables?.key : undefined;
  const upgrade = (p: BillingPlan) => redirect.mutate({ key: p.name, path: "/customer/billing/checkout", body: { plan: p.name } });
  const portal = () => redirect.mutate({ key: "portal", path: "/customer/billing/portal" });

  const canBuy = !!b && manage && b.billing_enabled && !b.subscribed;
  const manageButton = b && manage && b.subscribed && (
    <Button onClick={portal} loading={busy === "portal"} disabled={!!busy} data-testid="billing-portal">
      Manage billing
    </Button>
  );

  return (
    <>
      <PageHeader title="Billing" description="Your plan, this period's usage and your invoices." actions={manageButton || undefined} />
      {checkout === "success" && (
        <div role="status" data-testid="checkout-success" className="mb-4 rounded-md border border-green-200 bg-green-50 p-3 text-sm text-green-800">
          Payment received — your plan updates in a moment.
        </div>
      )}
      {checkout === "canceled" && (
        <div role="status" data-testid="checkout-canceled" className="mb-4 rounded-md border border-slate-200 bg-slate-50 p-3 text-sm text-slate-700">
          Checkout canceled.
        </div>
      )}
      {!canRead && <ErrorBox error="Only the workspace owner and admins can see billing." />}
      <QueryView query={billing}>
        {(b) => (
          <div className="space-y-5">
            {b.service.reason && (
              <div
                role="alert"
                data-testid="billing-alert"
                data-level={b.service.level}
                className={cx(
                  "rounded-md border p-3 text-sm",
                  b.service.level === "suspend" ? "border-red-200 bg-red-50 text-red-800" : "border-amber-200 bg-amber-50 text-amber-900",
                )}
              >
                {b.service.reason}
                {b.service.grace_until && <span className="ml-1">(until {formatDay(b.service.grace_until)})</span>}
              </div>
            )}

            <div className="grid gap-5 lg:grid-cols-2">
              <Card title="Current plan">
                <div data-testid="current-plan" data-plan={b.plan.name}>
                  <div className="flex flex-wrap items-center gap-2">
                    <p className="text-2xl font-semibold text-slate-900">{b.plan.title}</p>
                    <Badge tone={STATUS_TONE[b.status] ?? "slate"}>
                      <span data-testid="billing-status">{statusLabel(b.status)}</span>
                    </Badge>
                    {b.override?.comped && <Badge tone="green">comped</Badge>}
                  </div>
                  <p className="mt-1 text-sm text-slate-600">{planPrice(b.plan)}</p>
                  <ul className="mt-3 space-y-1 text-sm text-slate-600">
                    {b.status === "trialing" && b.trial_end && <li>Trial ends {formatDay(b.trial_end)}.</li>}
                    {b.cancel_at_period_end && (
                      <li className="text-amber-800" data-testid="cancels-at-period-end">
                        Cancels at period end ({formatDay(b.period_end)}).
                      </li>
                    )}
                    {b.override?.plan && <li>Plan set by Frontdesk: {b.override.plan}.</li>}
                    {b.override?.comped && <li>Complimentary account — no payment needed.</li>}
                    {b.override?.note && <li className="text-slate-500">{b.override.note}</li>}
                  </ul>
                  {!manage && <p className="mt-3 text-xs text-slate-500">Only the workspace owner can change the plan or payment details.</p>}
                  {manage && !b.billing_enabled && !b.subscribed && (
                    <p className="mt-3 text-xs text-slate-500">Online payment is not set up. Contact us to change your plan.</p>
                  )}
                </div>
              </Card>

              <Card title="Usage">
                <UsageBar messages={b.usage.messages} quota={b.usage.quota} />
                <p className="mt-1 text-xs text-slate-500">
                  Billing period {formatDay(b.period_start)} – {formatDay(b.period_end)}
                </p>
                <dl className="mt-4 grid grid-cols-2 gap-3 text-sm">
                  <div>
                    <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Seats</dt>
                    <dd data-testid="seats-usage">{counted(b.seats, "seats")}</dd>
                  </div>
                  <div>
                    <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Documents</dt>
                    <dd data-testid="documents-usage">{counted(b.documents, "documents")}</dd>
                  </div>
                </dl>
              </Card>
            </div>

            <Card title="Plans">
              <div className="grid gap-3 sm:grid-cols-2 xl:grid-cols-4">
                {b.plans.map((p) => {
                  const current = p.name === b.plan.name;
                  return (
                    <div
                      key={p.name}
                      data-testid="plan-card"
                      data-plan={p.name}
                      className={cx("flex flex-col rounded-lg border p-4", current ? "border-brand-500 bg-brand-50" : "border-slate-200")}
                    >
                      <div className="flex items-center justify-between gap-2">
                        <h3 className="font-semibold text-slate-900">{p.title}</h3>
                        {current && <Badge tone="blue">Current plan</Badge>}
                      </div>
                      <p className="mt-1 text-sm text-slate-700">{planPrice(p)}</p>
                      <ul className="mt-3 flex-1 space-y-1 text-xs text-slate-600">
                        <li>{p.monthly_messages === null ? "Unlimited messages" : `${p.monthly_messages} messages/month`}</li>
                        <li>{limit(p.knowledge_documents, "knowledge documents")}</li>
                        <li>{limit(p.seats, "seats")}</li>
                        <li>Channels: {p.channels.join(", ") || "—"}</li>
                        {p.remove_branding && <li>No “Powered by Frontdesk”</li>}
                        {p.purchasable && p.trial_days > 0 && <li>{p.trial_days}-day free trial</li>}
                      </ul>
                      {canBuy && p.purchasable && !current && (
                        <Button className="mt-3" onClick={() => upgrade(p)} loading={busy === p.name} disabled={!!busy} data-testid="plan-upgrade" data-plan={p.name}>
                          Upgrade to {p.title}
                        </Button>
                      )}
                    </div>
                  );
                })}
              </div>
            </Card>

            <Card title="Invoices">
              {b.invoices_error && (
                <p className="mb-3 text-sm text-slate-500" data-testid="invoices-error">
                  {b.invoices_error}
                </p>
              )}
              <DataTable<Invoice>
                query={loaded(b.invoices)}
                rowKey={(inv) => inv.id ?? `${inv.created}-${inv.number}`}
                rowProps={(inv) => ({ "data-testid": "invoice-row", "data-invoice-id": inv.id ?? undefined })}
                empty={<Empty title="No invoices yet" />}
                columns={[
                  { header: "Number", cell: (inv) => inv.number ?? "—" },
                  { header: "Date", className: "whitespace-nowrap", cell: (inv) => formatDay(inv.created) },
                  { header: "Amount", className: "whitespace-nowrap", cell: (inv) => formatMoney(inv.status === "paid" ? inv.amount_paid : inv.amount_due, inv.currency) },
                  { header: "Status", cell: (inv) => <Badge tone={inv.status === "paid" ? "green" : inv.status === "open" ? "amber" : "slate"}>{inv.status ?? "—"}</Badge> },
                  {
                    header: <span className="sr-only">Links</span>,
                    className: "whitespace-nowrap text-right",
                    cell: (inv) => (
                      <span className="flex justify-end gap-3">
                        {inv.hosted_invoice_url && (
                          <a href={inv.hosted_invoice_url} target="_blank" rel="noopener noreferrer" className="text-brand-600 hover:underline">
                            View
                          </a>
                        )}
                        {inv.invoice_pdf && (
                          <a href={inv.invoice_pdf} target="_blank" rel="noopener noreferrer" className="text-brand-600 hover:underline">
                            PDF
                          </a>
                        )}
                      </span>
                    ),
                  },
                ]}
              />
            </Card>
          </div>
        )}
      </QueryView>
    </>
  );
}

function UsageBar({ messages, quota }: { messages: number; quota: number | null }) {
  const pct = quota ? Math.min(100, Math.round((messages / quota) * 100)) : 0;
  const text = quota === null ? `${messages} messages this billing period (unlimited)` : `${messages} of ${quota} messages this billing period`;
  const tone = quota === null ? "bg-brand-500" : pct >= 100 ? "bg-red-500" : pct >= 80 ? "bg-amber-500" : "bg-brand-500";
  return (
    <div
      data-testid="usage-bar"
      role="progressbar"
      aria-label="Messages this billing period"
      aria-valuemin={quota === null ? undefined : 0}
      aria-valuemax={quota ?? undefined}
      aria-valuenow={quota === null ? undefined : Math.min(messages, quota)}
      aria-valuetext={text}
      data-used={messages}
      data-quota={quota ?? "unlimited"}
    >
      <p className="text-sm font-medium text-slate-800">{text}</p>
      <div className="mt-2 h-2.5 w-full overflow-hidden rounded-full bg-slate-100">
        <div className={cx("h-full rounded-full", tone)} style={{ width: `${quota === null ? 0 : Math.max(pct, messages > 0 ? 2 : 0)}%` }} />
      </div>
    </div>
  );
}
