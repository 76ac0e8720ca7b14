"use client";

import { useEffect, useState } from "react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api, errorMessage } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatDate, useGet } from "@/lib/hooks";
import { documentSchema } from "@/lib/schemas";
import type { DocumentOut, DocumentSummary, Page } from "@/lib/types";
import { ImportPanel } from "@/components/ImportPanel";
import { KnowledgeForm } from "@/components/KnowledgeForm";
import { useFeedback } from "@/components/feedback";
import { Button, Card, Empty, ErrorBox, Loading, Modal, PageHeader, Pagination, Spinner, Table, TextArea, TextInput, td, th } from "@/components/ui";

const LIMIT = 20;
const MAX_POLLS = 15;

export default function KnowledgePage() {
  const { can } = useAuth();
  const { toast, confirm } = useFeedback();
  const [page, setPage] = useState(1);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<DocumentOut | null>(null);
  const [opening, setOpening] = useState<string | null>(null);
  const [saving, setSaving] = useState<string | null>(null);
  const docs = useGet<Page<DocumentSummary>>("/customer/knowledge", { page, limit: LIMIT });
  const write = can("knowledge:write");
  // a document's embeddings are written by a background job: look again while one is pending,
  // less and less often (2 s doubling to 60 s, about 11 minutes in all; an embeddings endpoint
  // that keeps failing leaves a document pending, and the job retries on its own), and without
  // asking the server while the tab is hidden
  const { data: listed, reload } = docs;
  const [polls, setPolls] = useState(0);
  const pending = listed?.items.some((d) => d.indexing === "pending") ?? false;
  useEffect(() => {
    if (!pending) {
      setPolls(0);
      return;
    }
    if (polls >= MAX_POLLS) return;
    const timer = window.setTimeout(() => {
      setPolls((p) => p + 1);
      if (!document.hidden) void reload();
    }, Math.min(2000 * 2 ** polls, 60_000));
    return () => window.clearTimeout(timer);
  }, [pending, polls, reload]);

  const open = async (d: DocumentSummary) => {
    setOpening(d.id);
    try {
      const res = await api.get<DocumentOut>(`/customer/knowledge/${d.id}`);
      setEditing(res.data);
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      setOpening(null);
    }
  };

  const remove = async (d: DocumentSummary) => {
    const ok = await confirm({ title: `Delete “${d.name}”?`, message: "The bot will no longer use this document. This cannot be undone.", confirmLabel: "Delete" });
    if (!ok) return;
    try {
      await api.delete(`/customer/knowledge/${d.id}`);
      toast("Document deleted", "success");
      void docs.reload();
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  };

  return (
    <>
      <PageHeader
        title="Knowledge"
        description="Documents your bot answers from."
        actions={
          write && (
            <Button onClick={() => setAdding((a) => !a)} data-testid="knowledge-new">
              {adding ? "Cancel" : "Add document"}
            </Button>
          )
        }
      />
      {write && adding && (
        <Card title="Add knowledge" className="mb-5">
          <KnowledgeForm
            onCreated={() => {
              setAdding(false);
              setPage(1);
              void docs.reload();
            }}
          />
        </Card>
      )}
      <ImportPanel writable={write} onChanged={() => void docs.reload()} />
      {docs.error && <ErrorBox message={docs.error} onRetry={() => void docs.reload()} />}
      {docs.loading && !docs.data && <Loading />}
      {docs.data && docs.data.items.length === 0 && <Empty title="No documents yet">Add your FAQ, policies or product info so the bot can answer.</Empty>}
      {docs.data && docs.data.items.length > 0 && (
        <>
          <Table>
            <thead>
              <tr>
                <th className={th}>Name</th>
                <th className={th}>Size</th>
                <th className={th}>Version</th>
                <th className={th}>Index</th>
                <th className={th}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {docs.data.items.map((d) => (
                <tr key={d.id} data-testid="knowledge-row" data-doc-id={d.id}>
                  <td className={td + " font-medium text-slate-900"}>{d.name}</td>
                  <td className={td + " whitespace-nowrap"}>
                    {d.chars.toLocaleString()} chars · {d.chunks} chunks
                  </td>
                  <td className={td}>v{d.version}</td>
                  <td className={td + " whitespace-nowrap"}>
                    {saving === d.id || d.indexing === "pending" ? (
                      <span className="inline-flex items-center gap-1.5 text-amber-700" data-testid="knowledge-index-state" data-state="indexing" role="status">
                        <Spinner className="h-3.5 w-3.5" />
                        {saving === d.id ? "Indexing…" : `Indexing… ${d.embedded_chunks} of ${d.chunks}`}
                      </span>
                    ) : (
                      <span className="inline-flex items-center gap-1.5" data-testid="knowledge-index-state" data-state="indexed" title={`Version ${d.version}, ${d.chunks} chunks searchable`}>
                        <span className="h-2 w-2 rounded-full bg-green-500" aria-hidden="true" />
                        <span>
                          <span className="text-green-700">Indexed</span> · <time dateTime={d.updated_at}>{formatDate(d.updated_at)}</time>
                        </span>
                      </span>
                    )}
                  </td>
                  <td className={td + " whitespace-nowrap text-right"}>
                    <div className="flex justify-end gap-2">
                      <Button variant="secondary" size="sm" loading={opening === d.id} onClick={() => void open(d)} data-testid="knowledge-edit">
                        {write ? "Edit" : "View"}
                      </Button>
                      {write && (
                        <Button variant="secondary" size="sm" onClick={() => void remove(d)} data-testid="knowledge-delete" data-doc-id={d.id}>
                          Delete
                        </Button>
                      )}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </Table>
          <Pagination page={page} limit={LIMIT} total={docs.data.total} onPage={setPage} />
        </>
      )}
      {editing && (
        <EditDialog
          doc={editing}
          writable={write}
          onClose={() => setEditing(null)}
          onSaving={(busy) => setSaving(busy ? editing.id : null)}
          onSaved={() => {
            setEditing(null);
            void docs.reload();
          }}
        />
      )}
    </>
  );
}

function EditDialog({
  doc,
  writable,
  onClose,
  onSaving,
  onSaved,
}: {
  doc: DocumentOut;
  writable: boolean;
  onClose: () => void;
  onSaving: (busy: boolean) => void;
  onSaved: () => void;
}) {
  const { toast } = useFeedback();
  const { register, handleSubmit, formState } = useForm({
    resolver: zodResolver(documentSchema),
    defaultValues: { name: doc.name, content: doc.content },
  });
  const save = handleSubmit(async (v) => {
    onSaving(true);
    try {
      await api.put(`/customer/knowledge/${doc.id}`, v);
      toast("Document saved and re-indexed", "success");
      onSaved();
    } catch (e) {
      toast(errorMessage(e), "error");
    } finally {
      onSaving(false);
    }
  });
  return (
    <Modal
      open
      title={writable ? "Edit document" : doc.name}
      onClose={onClose}
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            {writable ? "Cancel" : "Close"}
          </Button>
          {writable && (
            <Button onClick={() => void save()} loading={formState.isSubmitting} data-testid="knowledge-save">
              Save
            </Button>
          )}
        </>
      }
    >
      <form onSubmit={save} className="space-y-3" noValidate>
        <TextInput label="Name" readOnly={!writable} {...register("name")} error={formState.errors.name?.message} />
        <TextArea label="Content" rows={14} readOnly={!writable} className="font-mono text-xs" {...register("content")} error={formState.errors.content?.message} />
      </form>
    </Modal>
  );
}
