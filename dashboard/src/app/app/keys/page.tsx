"use client";

import { useState } from "react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api, errorMessage } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatDate, useGet } from "@/lib/hooks";
import { keyCreateSchema, splitList } from "@/lib/schemas";
import type { ApiKey, ApiKeyCreated } from "@/lib/types";
import { useFeedback } from "@/components/feedback";
import { Badge, Button, Card, Empty, ErrorBox, Loading, Modal, PageHeader, SecretValue, Select, Table, TextArea, TextInput, td, th } from "@/components/ui";

export default function KeysPage() {
  const { can } = useAuth();
  const { toast, confirm } = useFeedback();
  const keys = useGet<ApiKey[]>("/customer/api-keys");
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);
  const [showForm, setShowForm] = useState(false);
  const manage = can("keys:manage");

  const { register, handleSubmit, formState, reset, watch } = useForm({
    resolver: zodResolver(keyCreateSchema),
    defaultValues: { name: "", type: "secret" as "secret" | "publishable", allowed_origins: "" },
  });
  const type = watch("type");

  const onCreate = handleSubmit(async (v) => {
    try {
      const res = await api.post<ApiKeyCreated>("/customer/api-keys", {
        name: v.name,
        type: v.type,
        allowed_origins: splitList(v.allowed_origins).map((o) => o.replace(/\/$/, "")),
      });
      setCreated(res.data);
      setShowForm(false);
      reset();
      void keys.reload();
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  });

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
    if (!ok) return;
    try {
      await api.delete(`/customer/api-keys/${k.id}`);
      toast("Key revoked", "success");
      void keys.reload();
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  };

  const list = keys.data ?? [];

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
      {keys.error && <ErrorBox message={keys.error} onRetry={() => void keys.reload()} />}
      {keys.loading && !keys.data && <Loading />}
      {keys.data && list.length === 0 && <Empty title="No API keys yet">Create a secret key for your server or a publishable key for the widget.</Empty>}
      {list.length > 0 && (
        <Table>
          <thead>
            <tr>
              <th className={th}>Name</th>
              <th className={th}>Key</th>
              <th className={th}>Type</th>
              <th className={th}>Origins</th>
              <th className={th}>Created</th>
              <th className={th}>Last used</th>
              <th className={th}>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.map((k) => (
              <tr key={k.id} data-testid="key-row" data-key-id={k.id}>
                <td className={td}>{k.name || <span className="text-slate-400">—</span>}</td>
                <td className={td}>
                  <code className="text-xs">{k.key_prefix}…</code>
                </td>
                <td className={td}>
                  <Badge tone={k.type === "publishable" ? "blue" : "slate"}>{k.type}</Badge>
                  {k.revoked_at && (
                    <span className="ml-1">
                      <Badge tone="red">revoked</Badge>
                    </span>
                  )}
                </td>
                <td className={td + " text-xs"}>{k.allowed_origins.length ? k.allowed_origins.join(", ") : "—"}</td>
                <td className={td + " whitespace-nowrap"}>{formatDate(k.created_at)}</td>
                <td className={td + " whitespace-nowrap"}>{formatDate(k.last_used_at)}</td>
                <td className={td + " text-right"}>
                  {manage && !k.revoked_at && (
                    <Button variant="secondary" size="sm" onClick={() => void revoke(k)} data-testid="key-revoke" data-key-id={k.id}>
                      Revoke
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      <Modal
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
      </Modal>
    </>
  );
}
