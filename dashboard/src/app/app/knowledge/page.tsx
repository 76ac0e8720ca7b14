"use client";

import { useRef, useState } from "react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatDate } from "@/lib/hooks";
import { useAction, useApiQuery } from "@/lib/query";
import { documentSchema } from "@/lib/schemas";
import type { DocumentOut, DocumentSummary, Page } from "@/lib/types";
import { DataTable } from "@/components/DataTable";
import { ImportPanel } from "@/components/ImportPanel";
import { KnowledgeForm } from "@/components/KnowledgeForm";
import { useFeedback } from "@/components/feedback";
import { Button, Card, Dialog, Empty, PageHeader, Spinner, TextArea, TextInput } from "@/components/ui";

const LIMIT = 20;
const MAX_POLLS = 15;
const KNOWLEDGE = "/customer/knowledge";

export default function KnowledgePage() {
  const { can } = useAuth();
  const { confirm } = useFeedback();
  const [page, setPage] = useState(1);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<DocumentOut | null>(null);
  const write = can("knowledge:write");
  // a document's embeddings are written by a background job: look again while one is pending,
  // less and less often (2 s doubling to 60 s, about 11 minutes in all; an embeddings endpoint
  // that keeps failing leaves a document pending, and the job retries on its own), and without
  // asking the server while the tab is hidden (TanStack pauses intervals in the background)
  const pendingSince = useRef<number | null>(null); // the fetch count when a document was first seen pending
  const docs = useApiQuery<Page<DocumentSummary>>(KNOWLEDGE, { page, limit: LIMIT }, {
    refetchInterval: (data, fetches) => {
      if (!data?.items.some((d) => d.indexing === "pending")) {
        pendingSince.current = null;
        return false;
      }
      pendingSince.current ??= fetches;
      const polls = fetches - pendingSince.current;
      return polls >= MAX_POLLS ? false : Math.min(2000 * 2 ** polls, 60_000);
    },
  });

  const open = useAction((d: DocumentSummary) => api.get<DocumentOut>(`${KNOWLEDGE}/${d.id}`), { onSuccess: (res) => setEditing(res.data) });
  const remove = useAction((d: DocumentSummary) => api.delete(`${KNOWLEDGE}/${d.id}`), { success: "Document deleted", invalidates: [KNOWLEDGE] });
  const save = useAction((v: { id: string; name: string; content: string }) => api.put(`${KNOWLEDGE}/${v.id}`, { name: v.name, content: v.content }), {
    success: "Document saved and re-indexed",
    invalidates: [KNOWLEDGE],
    onSuccess: () => setEditing(null),
  });
  const opening = open.isPending ? open.variables?.id : undefined;
  const saving = save.isPending ? save.variables?.id : undefined;

  const askRemove = async (d: DocumentSummary) => {
    const ok = await confirm({ title: `Delete “${d.name}”?`, message: "The bot will no longer use this document. This cannot be undone.", confirmLabel: "Delete" });
    if (ok) remove.mutate(d);
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
            }}
          />
        </Card>
      )}
      <ImportPanel writable={write} />
      <DataTable<DocumentSummary>
        query={docs}
        rowKey={(d) => d.id}
        rowProps={(d) => ({ "data-testid": "knowledge-row", "data-doc-id": d.id })}
        empty={<Empty title="No documents yet">Add your FAQ, policies or product info so the bot can answer.</Empty>}
        onPage={setPage}
        columns={[
          { header: "Name", className: "font-medium text-slate-900", cell: (d) => d.name },
          {
            header: "Size",
            className: "whitespace-nowrap",
            cell: (d) => (
              <>
                {d.chars.toLocaleString()} chars · {d.chunks} chunks
              </>
            ),
          },
          { header: "Version", cell: (d) => `v${d.version}` },
          {
            header: "Index",
            className: "whitespace-nowrap",
            cell: (d) =>
              saving === d.id || d.indexing === "pending" ? (
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
              ),
          },
          {
            header: <span className="sr-only">Actions</span>,
            className: "whitespace-nowrap text-right",
            cell: (d) => (
              <div className="flex justify-end gap-2">
                <Button variant="secondary" size="sm" loading={opening === d.id} onClick={() => open.mutate(d)} data-testid="knowledge-edit">
                  {write ? "Edit" : "View"}
                </Button>
                {write && (
                  <Button variant="secondary" size="sm" onClick={() => void askRemove(d)} data-testid="knowledge-delete" data-doc-id={d.id}>
                    Delete
                  </Button>
                )}
              </div>
            ),
          },
        ]}
      />
      {editing && (
        <EditDialog
          doc={editing}
          writable={write}
          onClose={() => setEditing(null)}
          onSave={(v) => save.run({ id: editing.id, ...v })}
        />
      )}
    </>
  );
}

function EditDialog({
  doc,
  writable,
  onClose,
  onSave,
}: {
  doc: DocumentOut;
  writable: boolean;
  onClose: () => void;
  onSave: (v: { name: string; content: string }) => Promise<unknown>;
}) {
  const { register, handleSubmit, formState } = useForm({
    resolver: zodResolver(documentSchema),
    defaultValues: { name: doc.name, content: doc.content },
  });
  const save = handleSubmit(onSave);
  return (
    <Dialog
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
    </Dialog>
  );
}
