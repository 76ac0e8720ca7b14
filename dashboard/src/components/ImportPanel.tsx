"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, errorMessage } from "@/lib/api";
import { formatDate } from "@/lib/hooks";
import { useAction, useApiQuery, useInvalidate } from "@/lib/query";
import type { KnowledgeImport, Page } from "@/lib/types";
import { DataTable } from "./DataTable";
import { useFeedback } from "./feedback";
import { Badge, BillingLink, Button, Card, Field, TextInput, cx, plainInputClass, selectClass } from "./ui";

const POLL_MS = 1500;
const MAX_FILE_MB = 20;
const RESYNC = [
  { hours: "", label: "On demand (Sync now)" },
  { hours: "24", label: "Every day" },
  { hours: "168", label: "Every week" },
];
const KNOWLEDGE = "/customer/knowledge";
const IMPORTS = "/customer/knowledge/imports";

const running = (i: KnowledgeImport) => i.status === "queued" || i.status === "running";

/** Website imports and file uploads, with their progress (polled while an import runs). */
export function ImportPanel({ writable }: { writable: boolean }) {
  const imports = useApiQuery<Page<KnowledgeImport>>(IMPORTS, { page: 1, limit: 20 }, { refetchInterval: (data) => (data?.items.some(running) ? POLL_MS : false) });
  const active = (imports.data?.items ?? []).some(running);
  const invalidate = useInvalidate();
  const wasActive = useRef(false);

  useEffect(() => {
    if (!active && wasActive.current) void invalidate(KNOWLEDGE); // a crawl just finished: its documents are in
    wasActive.current = active;
  }, [active, invalidate]);

  return (
    <div className="mb-5 space-y-5">
      {writable && (
        <div className="grid gap-5 lg:grid-cols-2">
          <Card title="Import a website">
            <WebsiteForm />
          </Card>
          <Card title="Upload files">
            <FileUpload onUploaded={() => void invalidate(KNOWLEDGE)} />
          </Card>
        </div>
      )}
      {(imports.error || !!imports.data?.items.length) && (
        <Card title="Imports">
          <ImportTable query={imports} writable={writable} />
        </Card>
      )}
    </div>
  );
}

function WebsiteForm() {
  const [url, setUrl] = useState("");
  const [maxPages, setMaxPages] = useState("");
  const [resync, setResync] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);
  const start = useAction((body: Record<string, unknown>) => api.post(IMPORTS, body), {
    success: "Import started: pages appear as they are read",
    invalidates: [IMPORTS],
    toastError: false, // shown under the form
    onSuccess: () => setUrl(""),
  });
  const error = invalid ?? start.error;
  const busy = start.isPending;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    start.reset();
    setInvalid(null);
    if (!/^https?:\/\/\S+$/i.test(url.trim())) {
      setInvalid("Enter the address of a page or of a sitemap.xml, starting with https://");
      return;
    }
    const body: Record<string, unknown> = { url: url.trim() };
    if (maxPages) body.max_pages = Number(maxPages);
    if (resync) body.resync_hours = Number(resync);
    start.mutate(body);
  };

  return (
    <form onSubmit={submit} className="space-y-3" noValidate>
      <TextInput
        label="Website or sitemap address"
        placeholder="https://www.example.com/ or https://www.example.com/sitemap.xml"
        value={url}
        onChange={(e) => setUrl(e.target.value)}
        data-testid="import-url"
        hint="Pages of the same site are followed; robots.txt is respected."
      />
      <div className="grid gap-3 sm:grid-cols-2">
        <TextInput
          label="Page limit"
          type="number"
          min={1}
          placeholder="Your plan's limit"
          value={maxPages}
          onChange={(e) => setMaxPages(e.target.value)}
          data-testid="import-max-pages"
        />
        <Field label="Keep in sync" htmlFor="import-resync">
          <select id="import-resync" className={cx(selectClass, "w-full")} value={resync} onChange={(e) => setResync(e.target.value)}>
            {RESYNC.map((r) => (
              <option key={r.hours} value={r.hours}>
                {r.label}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {error && (
        <p role="alert" className="text-sm text-red-600" data-testid="import-error">
          {errorMessage(error)}
          <BillingLink error={error} />
        </p>
      )}
      <Button type="submit" loading={busy} data-testid="import-submit">
        Import website
      </Button>
    </form>
  );
}

interface Upload {
  name: string;
  percent: number;
  state: "uploading" | "done" | "failed";
  message?: string;
}

function FileUpload({ onUploaded }: { onUploaded: () => void }) {
  const [uploads, setUploads] = useState<Upload[]>([]);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  const update = (index: number, patch: Partial<Upload>) => setUploads((all) => all.map((u, i) => (i === index ? { ...u, ...patch } : u)));

  const send = async (files: File[]) => {
    setBusy(true);
    setUploads(files.map((f) => ({ name: f.name, percent: 0, state: "uploading" })));
    for (const [index, file] of files.entries()) {
      if (file.size > MAX_FILE_MB * 1024 * 1024) {
        update(index, { state: "failed", message: `Larger than ${MAX_FILE_MB} MB` });
        continue;
      }
      const form = new FormData();
      form.append("file", file);
      try {
        await api.post("/customer/knowledge/files", form, {
          timeout: 120_000,
          onUploadProgress: (p) => update(index, { percent: p.total ? Math.round((p.loaded / p.total) * 100) : 50 }),
        });
        update(index, { state: "done", percent: 100 });
      } catch (err) {
        update(index, { state: "failed", message: errorMessage(err) });
      }
    }
    setBusy(false);
    if (input.current) input.current.value = "";
    onUploaded();
  };

  return (
    <div className="space-y-3">
      <Field label="Files" htmlFor="knowledge-files" hint={`PDF, Word (.docx), HTML, Markdown, text, or a CSV of question/answer pairs; up to ${MAX_FILE_MB} MB each.`}>
        <input
          id="knowledge-files"
          ref={input}
          type="file"
          multiple
          disabled={busy}
          accept=".pdf,.docx,.html,.htm,.md,.markdown,.txt,.csv"
          className={plainInputClass}
          data-testid="import-files"
          onChange={(e) => {
            const files = Array.from(e.target.files ?? []);
            if (files.length) void send(files);
          }}
        />
      </Field>
      {uploads.length > 0 && (
        <ul className="space-y-2" data-testid="upload-list">
          {uploads.map((u) => (
            <li key={u.name} className="text-sm" data-testid="upload-item" data-state={u.state}>
              <div className="flex justify-between gap-2">
                <span className="truncate font-medium text-slate-800">{u.name}</span>
                <span className={u.state === "failed" ? "text-red-600" : "text-slate-500"}>
                  {u.state === "uploading" ? `${u.percent}%` : u.state === "done" ? "Added" : "Failed"}
                </span>
              </div>
              <ProgressBar value={u.percent} tone={u.state === "failed" ? "red" : "brand"} />
              {u.message && <p className="text-xs text-red-600">{u.message}</p>}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ProgressBar({ value, tone = "brand", label }: { value: number; tone?: "brand" | "red" | "green"; label?: string }) {
  const colors = { brand: "bg-brand-600", red: "bg-red-500", green: "bg-green-500" } as const;
  const pct = Math.max(0, Math.min(100, Math.round(value)));
  return (
    <div className="mt-1 h-2 w-full overflow-hidden rounded bg-slate-100" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} aria-label={label}>
      <div className={cx("h-full transition-all", colors[tone])} style={{ width: `${pct}%` }} />
    </div>
  );
}

const STATUS_TONE = { queued: "slate", running: "blue", done: "green", failed: "red" } as const;

function progressOf(i: KnowledgeImport): number {
  if (i.status === "done" || i.status === "failed") return 100;
  const total = Math.max(i.pages_found, 1);
  return ((i.pages_fetched + i.pages_failed) / total) * 100;
}

function ImportTable({ query, writable }: { query: Parameters<typeof DataTable<KnowledgeImport>>[0]["query"]; writable: boolean }) {
  const { confirm } = useFeedback();
  const sync = useAction((i: KnowledgeImport) => api.post(`${IMPORTS}/${i.id}/sync`), { success: "Sync started", invalidates: [IMPORTS] });
  const remove = useAction((i: KnowledgeImport) => api.delete(`${IMPORTS}/${i.id}`, { params: { delete_documents: true } }), {
    success: "Import removed",
    invalidates: [KNOWLEDGE],
  });
  const askRemove = async (i: KnowledgeImport) => {
    const ok = await confirm({
      title: `Remove the import of “${i.source}”?`,
      message: `Its ${i.documents} document(s) are deleted too; the bot no longer answers from them.`,
      confirmLabel: "Remove",
    });
    if (ok) remove.mutate(i);
  };

  return (
    <DataTable<KnowledgeImport>
      query={query}
      rowKey={(i) => i.id}
      rowProps={(i) => ({ "data-testid": "import-row", "data-import-id": i.id, "data-status": i.status })}
      columns={[
        {
          header: "Source",
          className: "max-w-xs",
          cell: (i) => (
            <>
              <div className="truncate font-medium text-slate-900" title={i.source}>
                {i.source}
              </div>
              <div className="text-xs text-slate-500">
                {i.kind === "website" ? "Website" : "File"} · {formatDate(i.finished_at ?? i.created_at)}
                {i.next_sync_at && <> · next sync {formatDate(i.next_sync_at)}</>}
              </div>
            </>
          ),
        },
        {
          header: "Status",
          cell: (i) => (
            <span data-testid="import-status">
              <Badge tone={STATUS_TONE[i.status]}>{i.status}</Badge>
            </span>
          ),
        },
        {
          header: "Progress",
          className: "min-w-[14rem]",
          cell: (i) => (
            <>
              <div className="text-xs text-slate-600" data-testid="import-counts">
                {i.kind === "website" ? (
                  <>
                    {i.pages_found} found · {i.pages_fetched} fetched · {i.pages_indexed} indexed
                    {i.pages_unchanged > 0 && <> · {i.pages_unchanged} unchanged</>} · {i.pages_failed} failed
                  </>
                ) : (
                  <>{i.documents} document(s)</>
                )}
              </div>
              <ProgressBar value={progressOf(i)} tone={i.status === "failed" ? "red" : i.status === "done" ? "green" : "brand"} label={`Import of ${i.source}`} />
              {i.errors.length > 0 && (
                <details className="mt-1 text-xs" data-testid="import-errors">
                  <summary className="cursor-pointer text-red-700">
                    {i.pages_failed} problem{i.pages_failed === 1 ? "" : "s"}
                  </summary>
                  <ul className="mt-1 max-h-48 space-y-1 overflow-auto">
                    {i.errors.map((e, n) => (
                      <li key={n}>
                        <span className="break-all text-slate-700">{e.item}</span>: <span className="text-red-700">{e.reason}</span>
                      </li>
                    ))}
                  </ul>
                </details>
              )}
            </>
          ),
        },
        {
          header: <span className="sr-only">Actions</span>,
          className: "whitespace-nowrap text-right",
          cell: (i) =>
            writable && (
              <div className="flex justify-end gap-2">
                {i.kind === "website" && (
                  <Button
                    variant="secondary"
                    size="sm"
                    loading={sync.isPending && sync.variables?.id === i.id}
                    disabled={running(i)}
                    onClick={() => sync.mutate(i)}
                    data-testid="import-sync"
                  >
                    Sync now
                  </Button>
                )}
                <Button variant="secondary" size="sm" onClick={() => void askRemove(i)} data-testid="import-delete">
                  Remove
                </Button>
              </div>
            ),
        },
      ]}
    />
  );
}
