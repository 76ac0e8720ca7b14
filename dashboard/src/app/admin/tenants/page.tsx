"use client";

import { useEffect, useState, type FormEvent } from "react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api, errorMessage } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatDate } from "@/lib/hooks";
import { useApiQuery } from "@/lib/query";
import { tenantCreateSchema } from "@/lib/schemas";
import { PLANS, type BillingOverrideIn, type BotConfig, type ConversationSummary, type Page, type SubscriptionOverview, type Tenant, type TenantBilling } from "@/lib/types";
import { useFeedback } from "@/components/feedback";
import { Badge, Button, Card, Empty, ErrorBox, Loading, Dialog, PageHeader, Pagination, Select, Table, TextInput, plainInputClass, td, th } from "@/components/ui";

const LIMIT = 20;

export default function TenantsPage() {
  const { me } = useAuth();
  const { toast, confirm } = useFeedback();
  const [draft, setDraft] = useState("");
  const [q, setQ] = useState("");
  const [page, setPage] = useState(1);
  const [creating, setCreating] = useState(false);
  const [busy, setBusy] = useState<string | null>(null);
  const [inspect, setInspect] = useState<Tenant | null>(null);
  const tenants = useApiQuery<Page<Tenant>>("/admin/tenants", { q: q.trim(), page, limit: LIMIT });
  const admin = me?.platform_role === "admin";

  const search = (e: FormEvent) => {
    e.preventDefault();
    setPage(1);
    setQ(draft);
  };

  const replace = (t: Tenant) => {
    if (tenants.data) tenants.setData({ ...tenants.data, items: tenants.data.items.map((x) => (x.id === t.id ? t : x)) });
  };

  const toggle = async (t: Tenant) => {
    const suspend = !t.suspended_at;
    const ok = await confirm({
      title: suspend ? `Suspend ${t.name}?` : `Reactivate ${t.name}?`,
      message: suspend ? "Their bot, widget and API keys stop working until reactivated." : "Their bot and keys start working again.",
      confirmLabel: suspend ? "Suspend" : "Reactivate",
      danger: suspend,
    });
    if (!ok) return;
    setBusy(t.id);
    try {
      const res = await api.post<Tenant>(`/admin/tenants/${t.id}/${suspend ? "suspend" : "reactivate"}`);
      replace(res.data);
      toast(suspend ? "Tenant suspended" : "Tenant reactivated", "success");
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setBusy(null);
    }
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
      {admin && creating && (
        <CreateTenant
          onCreated={() => {
            setCreating(false);
            void tenants.refetch();
          }}
        />
      )}
      <form onSubmit={search} className="mb-4 flex max-w-md gap-2" role="search">
        <input name="q" aria-label="Search tenants" placeholder="Search by name, email or slug" maxLength={200} value={draft} onChange={(e) => setDraft(e.target.value)} className={plainInputClass} />
        <Button type="submit" variant="secondary">
          Search
        </Button>
      </form>
      {tenants.error && <ErrorBox error={tenants.error} onRetry={() => void tenants.refetch()} />}
      {tenants.isLoading && !tenants.data && <Loading />}
      {tenants.data && tenants.data.items.length === 0 && <Empty title="No tenants found" />}
      {tenants.data && tenants.data.items.length > 0 && (
        <>
          <Table>
            <thead>
              <tr>
                <th className={th}>Tenant</th>
                <th className={th}>Plan</th>
                <th className={th}>Status</th>
                <th className={th}>Created</th>
                <th className={th}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {tenants.data.items.map((t) => (
                <tr key={t.id} data-testid="tenant-row" data-tenant-id={t.id}>
                  <td className={td}>
                    <p className="font-medium text-slate-900">{t.name}</p>
                    <p className="text-xs text-slate-500">
                      {t.email} · {t.slug}
                    </p>
                  </td>
                  <td className={td}>
                    <Badge>{t.plan}</Badge>
                  </td>
                  <td className={td}>
                    {t.suspended_at ? <Badge tone="red">suspended</Badge> : <Badge tone="green">active</Badge>}
                    <span className="ml-1 text-xs text-slate-500">{t.subscription_status}</span>
                  </td>
                  <td className={td + " whitespace-nowrap"}>{formatDate(t.created_at)}</td>
                  <td className={td + " whitespace-nowrap text-right"}>
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
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination page={page} limit={LIMIT} total={tenants.data.total} onPage={setPage} />
        </>
      )}
      {inspect && (
        <InspectTenant
          tenant={inspect}
          admin={admin}
          onBilling={(row) => replace({ ...inspect, plan: row.plan, subscription_status: row.status })}
          onClose={() => setInspect(null)}
        />
      )}
    </>
  );
}

function CreateTenant({ onCreated }: { onCreated: () => void }) {
  const { toast } = useFeedback();
  const { register, handleSubmit, formState } = useForm({
    resolver: zodResolver(tenantCreateSchema),
    defaultValues: { name: "", email: "", plan: "free" as (typeof PLANS)[number], owner_email: "" },
  });
  const create = handleSubmit(async (v) => {
    try {
      const body: Record<string, string> = { name: v.name, email: v.email, plan: v.plan };
      if (v.owner_email) body.owner_email = v.owner_email;
      const res = await api.post<Tenant>("/admin/tenants", body);
      toast(`Created ${res.data.name}${v.owner_email ? ` — invitation sent to ${v.owner_email}` : ""}`, "success");
      onCreated();
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  });
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

function InspectTenant({ tenant, admin, onBilling, onClose }: { tenant: Tenant; admin: boolean; onBilling: (row: TenantBilling) => void; onClose: () => void }) {
  const config = useApiQuery<BotConfig>(`/admin/tenants/${tenant.id}/config`);
  const convs = useApiQuery<Page<ConversationSummary>>(`/admin/tenants/${tenant.id}/conversations`, { limit: 10 });
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
        {admin && <BillingOverrideForm tenant={tenant} onSaved={onBilling} />}
        <section>
          <h3 className="mb-1 font-medium text-slate-900">Bot config</h3>
          {config.isLoading && <Loading />}
          {config.error && <ErrorBox error={config.error} />}
          {config.data && (
            <dl className="grid grid-cols-3 gap-1 text-xs">
              <dt className="text-slate-500">Bot</dt>
              <dd className="col-span-2">{config.data.bot_name}</dd>
              <dt className="text-slate-500">Tone</dt>
              <dd className="col-span-2">{config.data.tone}</dd>
              <dt className="text-slate-500">Model</dt>
              <dd className="col-span-2">{config.data.llm.model}</dd>
              <dt className="text-slate-500">PII</dt>
              <dd className="col-span-2">{String(config.data.pii?.store ?? "redacted")}</dd>
            </dl>
          )}
        </section>
        <section>
          <h3 className="mb-1 font-medium text-slate-900">Recent conversations</h3>
          {convs.isLoading && <Loading />}
          {convs.error && <ErrorBox error={convs.error} />}
          {convs.data && convs.data.items.length === 0 && <p className="text-xs text-slate-500">None.</p>}
          <ul className="divide-y divide-slate-100 text-xs">
            {convs.data?.items.map((c) => (
              <li key={c.id} className="py-1.5">
                <Badge>{c.status}</Badge> <span className="text-slate-500">{formatDate(c.updated_at)}</span>
                <p className="truncate">{c.last_message ?? "—"}</p>
              </li>
            ))}
          </ul>
        </section>
      </div>
    </Dialog>
  );
}

/** Platform admins only: a plan set by hand (wins over Stripe's until cleared), comped, a note. */
function BillingOverrideForm({ tenant, onSaved }: { tenant: Tenant; onSaved: (row: TenantBilling) => void }) {
  const { toast } = useFeedback();
  // the overview lists every account with a subscription or an override: the current values, if any
  const overview = useApiQuery<SubscriptionOverview>("/admin/billing");
  const [form, setForm] = useState<BillingOverrideIn | null>(null);
  const [saving, setSaving] = useState(false);

  useEffect(() => {
    if (!overview.data || form) return;
    const row = overview.data.accounts.find((a) => a.tenant_id === tenant.id);
    setForm({ plan_override: row?.plan_override ?? null, comped: row?.comped ?? false, note: row?.note ?? null });
  }, [overview.data, form, tenant.id]);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!form) return;
    setSaving(true);
    try {
      const note = form.note?.trim() || null;
      const res = await api.put<TenantBilling>(`/admin/tenants/${tenant.id}/billing`, { ...form, note });
      setForm({ plan_override: res.data.plan_override, comped: res.data.comped, note: res.data.note });
      onSaved(res.data);
      toast(`Billing of ${tenant.name} saved — plan ${res.data.plan}`, "success");
    } catch (err) {
      toast(errorMessage(err), "error");
    } finally {
      setSaving(false);
    }
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
          <Button type="submit" size="sm" loading={saving} data-testid="billing-override-save">
            Save
          </Button>
        </form>
      )}
    </section>
  );
}
