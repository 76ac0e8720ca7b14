"use client";

import { useState, type FormEvent } from "react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatDate } from "@/lib/hooks";
import { useAction, useApiQuery } from "@/lib/query";
import { tenantCreateSchema } from "@/lib/schemas";
import { PLANS, type BillingOverrideIn, type BotConfig, type ConversationSummary, type Page, type SubscriptionOverview, type Tenant, type TenantBilling } from "@/lib/types";
import { DataTable, ListView, QueryView } from "@/components/DataTable";
import { useFeedback } from "@/components/feedback";
import { Badge, Button, Card, Dialog, Empty, ErrorBox, Loading, PageHeader, Select, TextInput, SearchForm } from "@/components/ui";

const LIMIT = 20;
const TENANTS = "/admin/tenants";

export default function TenantsPage() {
  const { me } = useAuth();
  const { confirm } = useFeedback();
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [inspect, setInspect] = useState<Tenant | null>(null);
  const tenants = useApiQuery<Page<Tenant>>(TENANTS, { q, page, limit: LIMIT });
  const admin = me?.platform_role === "admin";

  const setSuspended = useAction(({ t, suspend }: { t: Tenant; suspend: boolean }) => api.post<Tenant>(`${TENANTS}/${t.id}/${suspend ? "suspend" : "reactivate"}`), {
    success: (_, { suspend }) => (suspend ? "Tenant suspended" : "Tenant reactivated"),
    invalidates: [TENANTS],
  });
  const busy = setSuspended.isPending ? setSuspended.variables?.t.id : undefined;

  const toggle = async (t: Tenant) => {
    const suspend = !t.suspended_at;
    const ok = await confirm({
      title: suspend ? `Suspend ${t.name}?` : `Reactivate ${t.name}?`,
      message: suspend ? "Their bot, widget and API keys stop working until reactivated." : "Their bot and keys start working again.",
      confirmLabel: suspend ? "Suspend" : "Reactivate",
      danger: suspend,
    });
    if (ok) setSuspended.mutate({ t, suspend });
  };

  return (
    <>
      <PageHeader
        title="Tenants"
        actions={
          admin && (
            <Button onClick={() => setCreating((c) => !c)} data-testid="tenant-new">
              {creating ? "Cancel" : "New tenant"}
            </Button>
          )
        }
      />
      {admin && creating && <CreateTenant onCreated={() => setCreating(false)} />}
      <SearchForm
        name="q"
        label="Search tenants"
        placeholder="Search by name, email or slug"
        maxLength={200}
        button="Search"
        onSearch={(text) => {
          setPage(1);
          setQ(text);
        }}
      />
      <DataTable<Tenant>
        query={tenants}
        rowKey={(t) => t.id}
        rowProps={(t) => ({ "data-testid": "tenant-row", "data-tenant-id": t.id })}
        empty={<Empty title="No tenants found" />}
        onPage={setPage}
        columns={[
          {
            header: "Tenant",
            cell: (t) => (
              <>
                <p className="font-medium text-slate-900">{t.name}</p>
                <p className="text-xs text-slate-500">
                  {t.email} · {t.slug}
                </p>
              </>
            ),
          },
          { header: "Plan", cell: (t) => <Badge>{t.plan}</Badge> },
          {
            header: "Status",
            cell: (t) => (
              <>
                {t.suspended_at ? <Badge tone="red">suspended</Badge> : <Badge tone="green">active</Badge>}
                <span className="ml-1 text-xs text-slate-500">{t.subscription_status}</span>
              </>
            ),
          },
          { header: "Created", className: "whitespace-nowrap", cell: (t) => formatDate(t.created_at) },
          {
            header: <span className="sr-only">Actions</span>,
            className: "whitespace-nowrap text-right",
            cell: (t) => (
              <div className="flex justify-end gap-2">
                <Button variant="ghost" size="sm" onClick={() => setInspect(t)} data-testid="tenant-inspect" data-tenant-id={t.id}>
                  Inspect
                </Button>
                {admin &&
                  (t.suspended_at ? (
                    <Button variant="secondary" size="sm" disabled={busy === t.id} onClick={() => void toggle(t)} data-testid="tenant-reactivate" data-tenant-id={t.id}>
                      Reactivate
                    </Button>
                  ) : (
                    <Button variant="danger" size="sm" disabled={busy === t.id} onClick={() => void toggle(t)} data-testid="tenant-suspend" data-tenant-id={t.id}>
                      Suspend
                    </Button>
                  ))}
              </div>
            ),
          },
        ]}
      />
      {inspect && <InspectTenant tenant={inspect} admin={admin} onClose={() => setInspect(null)} />}
    </>
  );
}

function CreateTenant({ onCreated }: { onCreated: () => void }) {
  const { register, handleSubmit, formState } = useForm({
    resolver: zodResolver(tenantCreateSchema),
    defaultValues: { name: "", email: "", plan: "free" as (typeof PLANS)[number], owner_email: "" },
  });
  const post = useAction(
    (v: { name: string; email: string; plan: string; owner_email?: string }) =>
      api.post<Tenant>(TENANTS, { name: v.name, email: v.email, plan: v.plan, ...(v.owner_email ? { owner_email: v.owner_email } : {}) }),
    {
      success: (res, v) => `Created ${res.data.name}${v.owner_email ? ` — invitation sent to ${v.owner_email}` : ""}`,
      invalidates: [TENANTS],
      onSuccess: onCreated,
    },
  );
  const create = handleSubmit((v) => post.run(v));
  return (
    <Card title="Create a tenant" className="mb-5">
      <form onSubmit={create} className="grid gap-3 sm:grid-cols-2" noValidate>
        <TextInput label="Business name" {...register("name")} error={formState.errors.name?.message} />
        <TextInput label="Business email" type="email" {...register("email")} error={formState.errors.email?.message} />
        <Select label="Plan" {...register("plan")} error={formState.errors.plan?.message}>
          {PLANS.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </Select>
        <TextInput label="Owner email (invite)" type="email" hint="We email them an invitation to set a password." {...register("owner_email")} error={formState.errors.owner_email?.message} />
        <div className="sm:col-span-2">
          <Button type="submit" loading={formState.isSubmitting} data-testid="tenant-create">
            Create tenant
          </Button>
        </div>
      </form>
    </Card>
  );
}

function InspectTenant({ tenant, admin, onClose }: { tenant: Tenant; admin: boolean; onClose: () => void }) {
  const config = useApiQuery<BotConfig>(`${TENANTS}/${tenant.id}/config`);
  const convs = useApiQuery<Page<ConversationSummary>>(`${TENANTS}/${tenant.id}/conversations`, { limit: 10 });
  return (
    <Dialog
      open
      title={tenant.name}
      onClose={onClose}
      footer={
        <Button variant="secondary" onClick={onClose}>
          Close
        </Button>
      }
    >
      <div className="space-y-4">
        {admin && <BillingOverrideForm tenant={tenant} />}
        <section>
          <h3 className="mb-1 font-medium text-slate-900">Bot config</h3>
          <QueryView query={config} retry={false}>
            {(c) => (
              <dl className="grid grid-cols-3 gap-1 text-xs">
                <dt className="text-slate-500">Bot</dt>
                <dd className="col-span-2">{c.bot_name}</dd>
                <dt className="text-slate-500">Tone</dt>
                <dd className="col-span-2">{c.tone}</dd>
                <dt className="text-slate-500">Model</dt>
                <dd className="col-span-2">{c.llm.model}</dd>
                <dt className="text-slate-500">PII</dt>
                <dd className="col-span-2">{String(c.pii?.store ?? "redacted")}</dd>
              </dl>
            )}
          </QueryView>
        </section>
        <section>
          <h3 className="mb-1 font-medium text-slate-900">Recent conversations</h3>
          <ListView<ConversationSummary> query={convs} retry={false} empty={<p className="text-xs text-slate-500">None.</p>}>
            {(items) => (
              <ul className="divide-y divide-slate-100 text-xs">
                {items.map((c) => (
                  <li key={c.id} className="py-1.5">
                    <Badge>{c.status}</Badge> <span className="text-slate-500">{formatDate(c.updated_at)}</span>
                    <p className="truncate">{c.last_message ?? "—"}</p>
                  </li>
                ))}
              </ul>
            )}
          </ListView>
        </section>
      </div>
    </Dialog>
  );
}

/** Platform admins only: a plan set by hand (wins over Stripe's until cleared), comped, a note. */
function BillingOverrideForm({ tenant }: { tenant: Tenant }) {
  // the overview lists every account with a subscription or an override: the current values, if any
  const overview = useApiQuery<SubscriptionOverview>("/admin/billing");
  const row = overview.data?.accounts.find((a) => a.tenant_id === tenant.id);
  const current: BillingOverrideIn | null = overview.data ? { plan_override: row?.plan_override ?? null, comped: row?.comped ?? false, note: row?.note ?? null } : null;
  const [edited, setForm] = useState<BillingOverrideIn | null>(null);
  const form = edited ?? current;
  const put = useAction((body: BillingOverrideIn) => api.put<TenantBilling>(`${TENANTS}/${tenant.id}/billing`, body), {
    success: (res) => `Billing of ${tenant.name} saved — plan ${res.data.plan}`,
    invalidates: [TENANTS, "/admin/billing"],
    onSuccess: (res) => setForm({ plan_override: res.data.plan_override, comped: res.data.comped, note: res.data.note }),
  });

  const save = (e: FormEvent) => {
    e.preventDefault();
    if (form) put.mutate({ ...form, note: form.note?.trim() || null });
  };

  return (
    <section data-testid="billing-override" data-tenant-id={tenant.id}>
      <h3 className="mb-1 font-medium text-slate-900">Billing override</h3>
      {overview.error && <ErrorBox error={overview.error} onRetry={() => void overview.refetch()} />}
      {!form && !overview.error && <Loading />}
      {form && (
        <form onSubmit={save} className="space-y-2" noValidate>
          <div className="grid gap-2 sm:grid-cols-2 sm:items-end">
            <Select
              label="Plan"
              name="plan_override"
              value={form.plan_override ?? ""}
              onChange={(e) => setForm({ ...form, plan_override: e.target.value || null })}
              data-testid="billing-override-plan"
            >
              <option value="">— Stripe decides —</option>
              {PLANS.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </Select>
            <label className="flex items-center gap-2 py-2 text-sm text-slate-700">
              <input
                type="checkbox"
                name="comped"
                checked={form.comped}
                onChange={(e) => setForm({ ...form, comped: e.target.checked })}
                className="h-4 w-4 rounded border-slate-300"
                data-testid="billing-override-comped"
              />
              Comped
            </label>
          </div>
          <TextInput
            label="Note"
            name="note"
            maxLength={500}
            value={form.note ?? ""}
            onChange={(e) => setForm({ ...form, note: e.target.value })}
            placeholder="Why (contract, partner, …)"
            data-testid="billing-override-note"
          />
          <Button type="submit" size="sm" loading={put.isPending} data-testid="billing-override-save">
            Save
          </Button>
        </form>
      )}
    </section>
  );
}
