"use client";

import { useState, type ChangeEvent } from "react";
import { useForm } from "react-hook-form";
import { zodResolver } from "@hookform/resolvers/zod";
import { api } from "@/lib/api";
import { useAction } from "@/lib/query";
import { documentSchema, faqDocumentSchema } from "@/lib/schemas";
import type { DocumentOut } from "@/lib/types";
import { Button, ErrorBox, Field, TextArea, TextInput, cx, plainInputClass } from "./ui";

type Mode = "paste" | "faq" | "upload";

/** Add a knowledge document: pasted text, FAQ pairs, or a .md/.txt file read in the browser. */
export function KnowledgeForm({ onCreated = () => undefined }: { onCreated?: (doc: DocumentOut) => void }) {
  const [mode, setMode] = useState<Mode>("paste");
  const tabs: { id: Mode; label: string }[] = [
    { id: "paste", label: "Paste text" },
    { id: "faq", label: "FAQ pairs" },
    { id: "upload", label: "Upload file" },
  ];
  return (
    <div>
      <div className="mb-4 flex flex-wrap gap-1 rounded-md bg-slate-100 p-1" role="tablist">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={mode === t.id}
            data-testid={`knowledge-mode-${t.id}`}
            onClick={() => setMode(t.id)}
            className={cx("flex-1 rounded px-3 py-1.5 text-sm font-medium", mode === t.id ? "bg-white text-slate-900 shadow-sm" : "text-slate-600")}
          >
            {t.label}
          </button>
        ))}
      </div>
      {mode === "paste" && <PasteForm onCreated={onCreated} />}
      {mode === "faq" && <FaqForm onCreated={onCreated} />}
      {mode === "upload" && <UploadForm onCreated={onCreated} />}
    </div>
  );
}

/** POST a document: a success toast, the knowledge queries refetched, the error kept for the form. */
function useCreateDocument(onCreated: (doc: DocumentOut) => void, clear: () => void) {
  return useAction(async (body: unknown) => (await api.post<DocumentOut>("/customer/knowledge", body)).data, {
    success: (doc) => `Added “${doc.name}”`,
    invalidates: ["/customer/knowledge"],
    toastError: false, // shown in the form
    onSuccess: (doc) => {
      clear();
      onCreated(doc);
    },
  });
}

function PasteForm({ onCreated }: { onCreated: (doc: DocumentOut) => void }) {
  const { register, handleSubmit, formState, reset } = useForm({
    resolver: zodResolver(documentSchema),
    defaultValues: { name: "", content: "" },
  });
  const create = useCreateDocument(onCreated, () => reset());
  const error = create.error;
  const onSubmit = handleSubmit((v) => create.run(v));
  return (
    <form onSubmit={onSubmit} className="space-y-3" noValidate>
      {error && <ErrorBox error={error} />}
      <TextInput label="Document name" placeholder="Opening hours & policies" {...register("name")} error={formState.errors.name?.message} />
      <TextArea
        label="Content"
        rows={8}
        placeholder="Paste your FAQ, policies, prices… Markdown headings help the bot cite sources."
        data-testid="knowledge-paste"
        {...register("content")}
        error={formState.errors.content?.message}
      />
      <Button type="submit" loading={formState.isSubmitting} data-testid="knowledge-add">
        Add document
      </Button>
    </form>
  );
}

interface Pair {
  question: string;
  answer: string;
}

function FaqForm({ onCreated }: { onCreated: (doc: DocumentOut) => void }) {
  const [name, setName] = useState("FAQ");
  const [pairs, setPairs] = useState<Pair[]>([{ question: "", answer: "" }]);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useCreateDocument(onCreated, () => setPairs([{ question: "", answer: "" }]));
  const { error, isPending: busy } = create;

  const update = (i: number, key: keyof Pair, value: string) => setPairs((p) => p.map((x, j) => (j === i ? { ...x, [key]: value } : x)));

  const submit = () => {
    create.reset();
    const parsed = faqDocumentSchema.safeParse({ name, faq: pairs });
    if (!parsed.success) {
      const errs: Record<string, string> = {};
      for (const issue of parsed.error.issues) {
        const k = issue.path.join(".");
        if (!errs[k]) errs[k] = issue.message;
      }
      setErrors(errs);
      return;
    }
    setErrors({});
    create.mutate(parsed.data);
  };

  return (
    <form
      className="space-y-3"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {error && <ErrorBox error={error} />}
      <TextInput label="Document name" name="name" value={name} onChange={(e) => setName(e.target.value)} error={errors.name} />
      {pairs.map((p, i) => (
        <fieldset key={i} className="space-y-2 rounded-md border border-slate-200 p-3">
          <legend className="px-1 text-xs font-medium text-slate-500">Question {i + 1}</legend>
          <TextInput label="Question" name="question" value={p.question} onChange={(e) => update(i, "question", e.target.value)} error={errors[`faq.${i}.question`]} />
          <TextArea label="Answer" name="answer" rows={3} value={p.answer} onChange={(e) => update(i, "answer", e.target.value)} error={errors[`faq.${i}.answer`]} />
          {pairs.length > 1 && (
            <Button variant="ghost" size="sm" onClick={() => setPairs((ps) => ps.filter((_, j) => j !== i))}>
              Remove
            </Button>
          )}
        </fieldset>
      ))}
      {errors.faq && (
        <p role="alert" className="text-xs text-red-600">
          {errors.faq}
        </p>
      )}
      <div className="flex flex-wrap gap-2">
        <Button variant="secondary" onClick={() => setPairs((ps) => [...ps, { question: "", answer: "" }])} data-testid="faq-add-pair">
          Add another question
        </Button>
        <Button type="submit" loading={busy} data-testid="knowledge-add-faq">
          Add FAQ
        </Button>
      </div>
    </form>
  );
}

function UploadForm({ onCreated }: { onCreated: (doc: DocumentOut) => void }) {
  const [file, setFile] = useState<{ name: string; content: string } | null>(null);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const create = useCreateDocument(onCreated, () => setFile(null));
  const { error, isPending: busy } = create;

  const onFile = (e: ChangeEvent<HTMLInputElement>) => {
    setFieldError(null);
    setFile(null);
    const f = e.target.files?.[0];
    if (!f) return;
    if (!/\.(md|markdown|txt)$/i.test(f.name)) {
      setFieldError("Choose a .md or .txt file");
      return;
    }
    const reader = new FileReader();
    reader.onload = () => {
      const content = String(reader.result ?? "");
      const parsed = documentSchema.safeParse({ name: f.name.slice(0, 200), content });
      if (!parsed.success) {
        setFieldError(parsed.error.issues[0]?.message ?? "This file cannot be used");
        return;
      }
      setFile(parsed.data);
    };
    reader.onerror = () => setFieldError("Could not read the file");
    reader.readAsText(f);
  };

  const upload = () => {
    if (!file) {
      setFieldError("Choose a .md or .txt file");
      return;
    }
    create.mutate(file);
  };

  return (
    <div className="space-y-3">
      {error && <ErrorBox error={error} />}
      <Field label="Markdown or text file" error={fieldError ?? undefined} htmlFor="knowledge-file">
        <input id="knowledge-file" type="file" name="file" accept=".md,.markdown,.txt,text/markdown,text/plain" onChange={onFile} className={plainInputClass} data-testid="knowledge-file" />
      </Field>
      {file && (
        <p className="text-sm text-slate-600">
          {file.name} · {file.content.length.toLocaleString()} characters
        </p>
      )}
      <Button onClick={() => void upload()} loading={busy} disabled={!file} data-testid="knowledge-upload">
        Upload
      </Button>
    </div>
  );
}
