"use client";

import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { z } from "zod";
import { api, PK_STORAGE } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { useBrowserValue } from "@/lib/hooks";
import { useAction, useApiQuery } from "@/lib/query";
import { crispSchema, origin } from "@/lib/schemas";
import type { ApiKey, ApiKeyCreated, CrispStatus } from "@/lib/types";
import { Badge, Button, Card, CopyButton, ErrorBox, Loading, TextInput } from "./ui";

const pkSchema = z.object({ allowed_origins: origin });

export function WidgetInstall({ defaultOrigin = "" }: { defaultOrigin?: string }) {
  const { can } = useAuth();
  const siteOrigin = useBrowserValue(() => window.location.origin, "");
  const storedPk = useBrowserValue(() => window.sessionStorage.getItem(PK_STORAGE), null);
  const [createdPk, setPk] = useState<string | null>(null);
  const pk = createdPk ?? storedPk;
  const keys = useApiQuery<ApiKey[]>(can("keys:manage") ? "/customer/api-keys" : null);
  const { register, handleSubmit, formState, setValue } = useForm({
    resolver: zodResolver(pkSchema),
    defaultValues: { allowed_origins: defaultOrigin },
  });

  useEffect(() => {
    if (defaultOrigin) setValue("allowed_origins", defaultOrigin);
  }, [defaultOrigin, setValue]);

  const post = useAction(
    (site: string) =>
      api.post<ApiKeyCreated>("/customer/api-keys", {
        name: `Widget ${site.replace(/^https?:\/\//, "")}`.slice(0, 200),
        type: "publishable",
        allowed_origins: [site.replace(/\/$/, "")],
      }),
    {
      success: "Publishable key created",
      invalidates: ["/customer/api-keys"],
      onSuccess: (res) => {
        window.sessionStorage.setItem(PK_STORAGE, res.data.key);
        setPk(res.data.key);
      },
    },
  );
  const create = handleSubmit((v) => post.run(v.allowed_origins));

  const activePk = (keys.data ?? []).filter((k) => k.type === "publishable" && !k.revoked_at);
  const snippet = `<script src="${siteOrigin}/widget.js" data-key="${pk ?? "YOUR_PUBLISHABLE_KEY"}" async></script>`;

  return (
    <Card title="Website widget">
      <p className="mb-3 text-sm text-slate-600">
        Paste this snippet before <code>&lt;/body&gt;</code> on every page of your site.
      </p>
      {pk ? (
        <div className="space-y-2">
          <pre className="overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100" data-testid="widget-snippet">
            {snippet}
          </pre>
          <CopyButton text={snippet} label="Copy snippet" testId="copy-snippet" />
        </div>
      ) : (
        <div className="space-y-3">
          {keys.isLoading && <Loading />}
          {activePk.length > 0 && (
            <div className="rounded-md bg-slate-50 p-3 text-sm text-slate-600">
              You already have {activePk.length === 1 ? "a publishable key" : `${activePk.length} publishable keys`} (
              {activePk.map((k) => (
                <code key={k.id} className="mr-1">
                  {k.key_prefix}…
                </code>
              ))}
              ). Full keys are shown only once — use the one you saved, or create a new one below.
              <pre className="mt-2 overflow-x-auto rounded-md bg-slate-900 p-3 text-xs text-slate-100">{snippet}</pre>
            </div>
          )}
          {can("keys:manage") ? (
            <form onSubmit={create} className="space-y-3" noValidate>
              <TextInput
                label="Your website origin"
                placeholder="https://shop.example.com"
                hint="The widget will only work on this origin."
                {...register("allowed_origins")}
                error={formState.errors.allowed_origins?.message}
              />
              <Button type="submit" loading={formState.isSubmitting} data-testid="create-publishable-key">
                Create publishable key
              </Button>
            </form>
          ) : (
            <p className="text-sm text-slate-500">Ask an owner or admin to create a publishable key.</p>
          )}
        </div>
      )}
    </Card>
  );
}

export function CrispConnect() {
  const { can } = useAuth();
  const status = useApiQuery<CrispStatus>("/integrations/crisp");
  const put = useAction((body: Record<string, string>) => api.put<CrispStatus>("/integrations/crisp", body), {
    success: "Crisp connected",
    onSuccess: (res) => status.setData(res.data),
  });
  const { register, handleSubmit, formState, reset, setError } = useForm({
    resolver: zodResolver(crispSchema),
    defaultValues: { website_id: "", identifier: "", key: "", signing_secret: "" },
  });
  const st = status.data;

  useEffect(() => {
    if (st?.connected) reset({ website_id: st.website_id ?? "", identifier: st.identifier ?? "", key: "", signing_secret: "" });
  }, [st, reset]);

  const save = handleSubmit(async (v) => {
    let missing = false;
    if (!v.key && !st?.has_key) {
      setError("key", { message: "Plugin key is required" });
      missing = true;
    }
    if (!v.signing_secret && !st?.has_signing_secret) {
      setError("signing_secret", { message: "Signing secret is required" });
      missing = true;
    }
    if (missing) return;
    const body: Record<string, string> = { website_id: v.website_id, identifier: v.identifier };
    if (v.key) body.key = v.key;
    if (v.signing_secret) body.signing_secret = v.signing_secret;
    await put.run(body);
  });

  const writable = can("config:write");

  return (
    <Card title="Crisp (optional)" actions={st ? <Badge tone={st.connected ? "green" : "slate"}>{st.connected ? "connected" : "not connected"}</Badge> : undefined}>
      <ol className="mb-4 list-decimal space-y-1 pl-5 text-sm text-slate-600">
        <li>In Crisp, open Settings → Website settings and copy your Website ID.</li>
        <li>Create a plugin token in the Crisp Marketplace and copy its identifier and key.</li>
        <li>Save them below, then add the webhook URL shown here to your Crisp plugin (events: message:send).</li>
      </ol>
      {status.isLoading && <Loading />}
      {status.error && <ErrorBox error={status.error} onRetry={() => void status.refetch()} />}
      {st?.webhook_url && (
        <div className="mb-4 space-y-1">
          <p className="text-sm font-medium text-slate-700">Webhook URL</p>
          <div className="flex items-center gap-2">
            <code className="block min-w-0 flex-1 break-all rounded bg-slate-100 px-2 py-1.5 text-xs" data-testid="crisp-webhook-url">
              {st.webhook_url}
            </code>
            <CopyButton text={st.webhook_url} />
          </div>
        </div>
      )}
      {writable ? (
        <form onSubmit={save} className="grid gap-3 sm:grid-cols-2" noValidate>
          <TextInput label="Website ID" {...register("website_id")} error={formState.errors.website_id?.message} />
          <TextInput label="Plugin identifier" {...register("identifier")} error={formState.errors.identifier?.message} />
          <TextInput
            label="Plugin key"
            type="password"
            autoComplete="off"
            hint={st?.has_key ? "Saved — leave blank to keep it." : undefined}
            {...register("key")}
            error={formState.errors.key?.message}
          />
          <TextInput
            label="Signing secret"
            type="password"
            autoComplete="off"
            hint={st?.has_signing_secret ? "Saved — leave blank to keep it." : undefined}
            {...register("signing_secret")}
            error={formState.errors.signing_secret?.message}
          />
          <div className="sm:col-span-2">
            <Button type="submit" loading={formState.isSubmitting} data-testid="crisp-save">
              {st?.connected ? "Update Crisp" : "Connect Crisp"}
            </Button>
          </div>
        </form>
      ) : (
        <p className="text-sm text-slate-500">You don’t have permission to change integrations.</p>
      )}
    </Card>
  );
}
