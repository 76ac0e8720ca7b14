import type { Transcript as T } from "@/lib/types";
import { formatDate } from "@/lib/hooks";
import { Badge, Empty, cx } from "./ui";

interface MetaSource {
  document_name?: string;
  heading?: string | null;
  snippet?: string;
}

function sourcesOf(meta: Record<string, unknown>): MetaSource[] {
  const s = meta["sources"];
  return Array.isArray(s) ? (s.filter((x) => x && typeof x === "object") as MetaSource[]) : [];
}

export function Transcript({ transcript }: { transcript: T }) {
  if (transcript.messages.length === 0) return <Empty title="No messages in this conversation" />;
  return (
    <ol className="space-y-3" data-testid="transcript">
      {transcript.messages.map((m) => {
        const mine = m.role === "user";
        const sources = sourcesOf(m.meta);
        return (
          <li key={m.id} className={cx("flex", mine ? "justify-start" : "justify-end")}>
            <div className={cx("max-w-[90%] space-y-1 sm:max-w-[75%]", !mine && "text-right")}>
              <div className="flex flex-wrap items-center gap-1 text-xs text-slate-500" style={{ justifyContent: mine ? "flex-start" : "flex-end" }}>
                <span className="font-medium capitalize text-slate-700">{m.role === "user" ? "Visitor" : m.role}</span>
                <span>{formatDate(m.created_at)}</span>
                {m.intent && <Badge tone="blue">{m.intent}</Badge>}
                {m.rating && (
                  <Badge tone={m.rating === "up" ? "green" : "red"}>
                    <span data-testid="message-rating" data-rating={m.rating}>
                      {m.rating === "up" ? "rated 👍" : "rated 👎"}
                    </span>
                  </Badge>
                )}
              </div>
              <div
                className={cx(
                  "rounded-lg px-3 py-2 text-left text-sm whitespace-pre-wrap",
                  m.role === "user" && "bg-white border border-slate-200 text-slate-800",
                  m.role === "assistant" && "bg-brand-600 text-white",
                  m.role === "operator" && "bg-emerald-600 text-white",
                  m.role === "system" && "bg-slate-100 text-slate-600 italic",
                )}
              >
                {m.content}
              </div>
              {sources.length > 0 && (
                <ul className="space-y-1 text-left">
                  {sources.map((s, i) => (
                    <li key={i} className="rounded border border-slate-200 bg-white px-2 py-1 text-xs text-slate-600">
                      <span className="font-medium text-slate-800">{s.document_name ?? "source"}</span>
                      {s.heading ? ` · ${s.heading}` : ""}
                      {s.snippet && <p className="line-clamp-2">{s.snippet}</p>}
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
