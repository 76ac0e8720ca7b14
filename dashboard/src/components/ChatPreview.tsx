"use client";

import { useEffect, useRef, useState, type FormEvent } from "react";
import { api, toApiError, type ApiError } from "@/lib/api";
import type { ChatResponse, Source } from "@/lib/types";
import { Badge, BillingLink, Button, cx, plainInputClass } from "./ui";

interface Msg {
  id: number;
  role: "user" | "assistant" | "error";
  text: string;
  /** an error message's failure (a billing problem gets a link to Billing) */
  error?: ApiError;
  sources?: Source[];
  intent?: string;
  handoff?: boolean;
}

function newSessionId(): string {
  return `preview-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** A live chat against POST /api/v1/chat with the dashboard session's Bearer token. */
export function ChatPreview({ greeting, botName }: { greeting?: string | null; botName?: string }) {
  const [session, setSession] = useState(newSessionId); // never rendered: no hydration mismatch
  const [msgs, setMsgs] = useState<Msg[]>([]);
  const [text, setText] = useState("");
  const [busy, setBusy] = useState(false);
  const [fieldError, setFieldError] = useState<string | null>(null);
  const nextId = useRef(1);
  const list = useRef<HTMLDivElement>(null);

  useEffect(() => {
    list.current?.scrollTo({ top: list.current.scrollHeight });
  }, [msgs]);

  const send = async (e: FormEvent) => {
    e.preventDefault();
    const message = text.trim();
    if (!message) {
      setFieldError("Type a message first");
      return;
    }
    if (message.length > 4000) {
      setFieldError("At most 4000 characters");
      return;
    }
    setFieldError(null);
    setText("");
    setMsgs((m) => [...m, { id: nextId.current++, role: "user", text: message }]);
    setBusy(true);
    try {
      const res = await api.post<ChatResponse>("/chat", { session_id: session, message });
      const r = res.data;
      setMsgs((m) => [...m, { id: nextId.current++, role: "assistant", text: r.reply, sources: r.sources, intent: r.intent, handoff: r.handoff }]);
    } catch (err) {
      const error = toApiError(err);
      setMsgs((m) => [...m, { id: nextId.current++, role: "error", text: error.message, error }]);
    } finally {
      setBusy(false);
    }
  };

  const reset = () => {
    setMsgs([]);
    setSession(newSessionId());
  };

  return (
    <div className="flex h-[28rem] flex-col overflow-hidden rounded-lg border border-slate-200 bg-white">
      <div className="flex items-center justify-between border-b border-slate-200 bg-slate-50 px-3 py-2">
        <span className="text-sm font-medium text-slate-700">{botName || "Assistant"} · preview</span>
        <Button variant="ghost" size="sm" onClick={reset}>
          Restart
        </Button>
      </div>
      <div ref={list} className="flex-1 space-y-3 overflow-y-auto p-3" data-testid="preview-messages">
        {greeting && (
          <div className="max-w-[85%] rounded-lg bg-slate-100 px-3 py-2 text-sm text-slate-800">{greeting}</div>
        )}
        {msgs.map((m) =>
          m.role === "user" ? (
            <div key={m.id} className="ml-auto max-w-[85%] rounded-lg bg-brand-600 px-3 py-2 text-sm whitespace-pre-wrap text-white" data-testid="preview-user">
              {m.text}
            </div>
          ) : m.role === "error" ? (
            <div key={m.id} role="alert" className="max-w-[85%] rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700">
              {m.text}
              <BillingLink error={m.error} />
            </div>
          ) : (
            <div key={m.id} className="max-w-[85%] space-y-1">
              <div className="rounded-lg bg-slate-100 px-3 py-2 text-sm whitespace-pre-wrap text-slate-800" data-testid="preview-reply">
                {m.text}
              </div>
              <div className="flex flex-wrap gap-1">
                {m.intent && <Badge tone="blue">{m.intent}</Badge>}
                {m.handoff && <Badge tone="amber">handoff</Badge>}
              </div>
              {m.sources && m.sources.length > 0 && (
                <ul className="space-y-1" data-testid="preview-sources">
                  {m.sources.map((s, i) => (
                    <li key={`${s.document_id}-${i}`} className="rounded border border-slate-200 px-2 py-1 text-xs text-slate-600">
                      <span className="font-medium text-slate-800">{s.document_name}</span>
                      {s.heading ? ` · ${s.heading}` : ""}
                      <p className="line-clamp-2">{s.snippet}</p>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          ),
        )}
        {busy && <div className="text-xs text-slate-500">Typing…</div>}
      </div>
      <form onSubmit={send} className="border-t border-slate-200 p-2" noValidate>
        <div className="flex gap-2">
          <input
            name="message"
            aria-label="Message"
            value={text}
            onChange={(e) => setText(e.target.value)}
            placeholder="Ask something a visitor would ask…"
            className={cx(plainInputClass, fieldError && "border-red-400")}
            maxLength={4000}
            data-testid="preview-input"
            autoComplete="off"
          />
          <Button type="submit" loading={busy} data-testid="preview-send">
            Send
          </Button>
        </div>
        {fieldError && (
          <p role="alert" className="mt-1 text-xs text-red-600">
            {fieldError}
          </p>
        )}
      </form>
    </div>
  );
}
