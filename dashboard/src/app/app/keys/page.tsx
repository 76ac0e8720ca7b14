"use client";

import { useState } from "react";
import { useForm, useWatch } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatDate } from "@/lib/hooks";
import { useAction, useApiQuery } from "@/lib/query";
import { keyCreateSchema, splitList } from "@/lib/schemas";
import type { ApiKey, ApiKeyCreated } from "@/lib/types";
import { useFeedback } from "@/components/feedback";
import { DataTable } from "@/components/DataTable";
import { Badge, Button, Card, Dialog, Empty, PageHeader, SecretValue, Select, TextArea, TextInput } from "@/components/ui";

const KEYS = "/customer/api-keys";

export default function KeysPage() {
  const { can } = useAuth();
  const { confirm } = useFeedback();
  const keys = useApiQuery<ApiKey[]>(KEYS);
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [showForm, setShowForm] = useState(false);
  const manage = can("keys:manage");

  const { register, handleSubmit, formState, reset, control } = useForm({
    resolver: zodResolver(keyCreateSchema),
    defaultValues: { name: "", type: "secret" as "secret" | "publishable", allowed_origins: "" },
  });
  const type = useWatch({ control, name: "type" });

  const create = useAction(
    (v: { name: string; type: string; allowed_origins: string }) =>
      api.post<ApiKeyCreated>(KEYS, { name: v.name, type: v.type, allowed_origins: splitList(v.allowed_origins).map((o) => o.replace(/\/$/, "")) }),
    {
      invalidates: [KEYS],
      onSuccess: (res) => {
        setCreated(res.data);
        setShowForm(false);
        reset();
      },
    },
  );
  const onCreate = handleSubmit((v) => create.run(v));
  const revokeKey = useAction((k: ApiKey) => api.delete(`${KEYS}/${k.id}`), { success: "Key revoked", invalidates: [KEYS] });

  const revoke = async (k: ApiKey) => {
    const ok = await confirm({
      title: "Revoke this key?",
      message: (
        <>
          <code>{k.key_prefix}…</code> {k.name ? `(${k.name})` : ""} will stop working immediately. This cannot be undone.
        </>
      ),
      confirmLabel: "Revoke key",
    });
    if (ok) revokeKey.mutate(k);
  };

  return (
    <>
      <PageHeader
        title="API keys"
        description="Secret keys call the API from your servers; publishable keys run the website widget on the origins you allow."
        actions={
          manage && (
            <Button onClick={() => setShowForm((s) => !s)} data-testid="key-new">
              {showForm ? "Cancel" : "New key"}
            </Button>
          )
        }
      />
      {manage && showForm && (
        <Card title="Create a key" className="mb-5">
          <form onSubmit={onCreate} className="grid gap-3 sm:grid-cols-2" noValidate>
            <TextInput label="Name" placeholder="Production server" {...register("name")} error={formState.errors.name?.message} />
            <Select label="Type" {...register("type")} error={formState.errors.type?.message}>
              <option value="secret">Secret (server)</option>
              <option value="publishable">Publishable (widget)</option>
            </Select>
            <div className="sm:col-span-2">
              <TextArea
                label={type === "publishable" ? "Allowed origins" : "Allowed origins (optional)"}
                rows={2}
                placeholder="https://shop.example.com"
                hint="One per line or comma-separated."
                {...register("allowed_origins")}
                error={formState.errors.allowed_origins?.message}
              />
            </div>
            <div className="sm:col-span-2">
              <Button type="submit" loading={formState.isSubmitting} data-testid="key-create">
                Create key
              </Button>
            </div>
          </form>
        </Card>
      )}
      <DataTable<ApiKey>
        query={keys}
        rowKey={(k) => k.id}
        rowProps={(k) => ({ "data-testid": "key-row", "data-key-id": k.id })}
        empty={<Empty title="No API keys yet">Create a secret key for your server or a publishable key for the widget.</Empty>}
        columns={[
          { header: "Name", cell: (k) => k.name || <span className="text-slate-400">—</span> },
          { header: "Key", cell: (k) => <code className="text-xs">{k.key_prefix}…</code> },
          {
            header: "Type",
            cell: (k) => (
              <>
                <Badge tone={k.type === "publishable" ? "blue" : "slate"}>{k.type}</Badge>
                {k.revoked_at && (
                  <span className="ml-1">
                    <Badge tone="red">revoked</Badge>
                  </span>
                )}
              </>
            ),
          },
          { header: "Origins", className: "text-xs", cell: (k) => (k.allowed_origins.length ? k.allowed_origins.join(", ") : "—") },
          { header: "Created", className: "whitespace-nowrap", cell: (k) => formatDate(k.created_at) },
          { header: "Last used", className: "whitespace-nowrap", cell: (k) => formatDate(k.last_used_at) },
          {
            header: <span className="sr-only">Actions</span>,
            className: "text-right",
            cell: (k) =>
              manage &&
              !k.revoked_at && (
                <Button variant="secondary" size="sm" onClick={() => void revoke(k)} data-testid="key-revoke" data-key-id={k.id}>
                  Revoke
                </Button>
              ),
          },
        ]}
      />
      <Dialog
        open={!!created}
        title="Your new key"
        onClose={() => setCreated(null)}
        footer={
          <Button onClick={() => setCreated(null)} data-testid="key-created-close">
            Done
          </Button>
        }
      >
        {created && (
          <div className="space-y-3">
            <p>Copy it now — for your security it will not be shown again.</p>
            <SecretValue value={created.key} testId="key-created-value" />
            {created.type === "publishable" && (
              <p className="text-xs text-slate-500">
                Widget snippet: <code>{`<script src="…/widget.js" data-key="${created.key}" async></script>`}</code>
              </p>
            )}
          </div>
        )}
      </Dialog>
    </>
  );
}
