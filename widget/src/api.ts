/** The Frontdesk HTTP API, as the widget uses it. */

import { createSseParser } from "./sse";

export interface WidgetConfig {
  botName: string;
  businessName: string;
  greeting: string;
  color: string;
  avatarUrl: string | null;
  position: "right" | "left";
  showSources: boolean;
  placeholder: string;
  /** Show "Powered by Frontdesk" under the input. */
  branding: boolean;
}

export interface ChatSource {
  document_name?: unknown;
  heading?: unknown;
}

export interface ChatReply {
  reply: string;
  sources: ChatSource[];
  handoff: boolean;
  /** The stored answer's id (what a rating refers to), when the server sent one. */
  messageId: string | null;
  intent: string;
}

export type Rating = "up" | "down";

export interface StreamHandlers {
  onDelta(text: string): void;
  onReset(): void;
  onDone(reply: ChatReply): void;
}

/** A failed request: `status` 0 means the service could not be reached. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string | null = null,
    readonly retryAfter: number | null = null,
  ) {
    super(detail || "HTTP " + status);
  }
}

export const DEFAULT_COLOR = "#2563eb";

type Json = Record<string, unknown>;

const str = (v: unknown): string | null => (typeof v === "string" && v.trim() ? v : null);

export function toConfig(raw: Json): WidgetConfig {
  const color = str(raw.color);
  const avatar = str(raw.avatar_url);
  return {
    botName: str(raw.bot_name) || "Assistant",
    businessName: str(raw.business_name) || "",
    greeting: str(raw.greeting) || "Hi! How can I help you today?",
    color: color && /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i.test(color.trim()) ? color.trim() : DEFAULT_COLOR,
    avatarUrl: avatar && /^https?:\/\//i.test(avatar) ? avatar : null,
    position: raw.position === "left" ? "left" : "right",
    showSources: raw.show_sources === true,
    placeholder: str(raw.placeholder) || "Type your message…",
    branding: raw.branding === true,
  };
}

function headers(key: string, extra?: Record<string, string>): Record<string, string> {
  const h: Record<string, string> = { "X-API-Key": key };
  if (extra) for (const k in extra) h[k] = extra[k];
  return h;
}

async function request(url: string, init: RequestInit): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(url, { mode: "cors", credentials: "omit", ...init });
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw new ApiError(0);
  }
  if (!res.ok) throw await problem(res);
  return res;
}

async function problem(res: Response): Promise<ApiError> {
  let detail: string | null = null;
  try {
    const body = (await res.json()) as Json;
    detail = str(body.detail);
  } catch {
    // not JSON: no detail
  }
  return new ApiError(res.status, detail, retryAfter(res.headers.get("Retry-After")));
}

function retryAfter(value: string | null): number | null {
  if (!value) return null;
  const n = /^\s*\d+\s*$/.test(value) ? parseInt(value, 10) : Math.ceil((Date.parse(value) - Date.now()) / 1000);
  return isFinite(n) && n > 0 ? n : null;
}

export async function fetchConfig(api: string, key: string, signal?: AbortSignal): Promise<WidgetConfig> {
  const res = await request(api + "/api/v1/widget/config", { headers: headers(key), signal });
  let raw: unknown;
  try {
    raw = await res.json();
  } catch {
    throw new ApiError(res.status);
  }
  return toConfig(raw && typeof raw === "object" ? (raw as Json) : {});
}

function toReply(raw: unknown): ChatReply {
  const r = (raw && typeof raw === "object" ? raw : {}) as Json;
  return {
    reply: typeof r.reply === "string" ? r.reply : "",
    sources: Array.isArray(r.sources) ? (r.sources as ChatSource[]) : [],
    handoff: r.handoff === true,
    messageId: typeof r.message_id === "string" && r.message_id ? r.message_id : null,
    intent: typeof r.intent === "string" ? r.intent : "",
  };
}

/** Whether a reply is one of the bot's answers (rateable): not the hand-over, not a greeting. */
export function isAnswer(reply: ChatReply): boolean {
  return !!reply.messageId && !!reply.reply && !reply.handoff && reply.intent !== "greeting";
}

/** Rate one of the bot's answers in this session (`null` clears the rating). */
export async function rateMessage(
  api: string,
  key: string,
  sessionId: string,
  messageId: string,
  rating: Rating | null,
): Promise<void> {
  await request(api + "/api/v1/chat/messages/" + encodeURIComponent(messageId) + "/rating", {
    method: "POST",
    headers: headers(key, { "Content-Type": "application/json" }),
    body: JSON.stringify({ session_id: sessionId, rating }),
  });
}

/**
 * Send one visitor message and stream the reply into `on`.
 * Resolves true once `done` arrived, false when the stream ended without it.
 */
export async function sendMessage(
  api: string,
  key: string,
  sessionId: string,
  message: string,
  on: StreamHandlers,
  signal: AbortSignal,
): Promise<boolean> {
  const res = await request(api + "/api/v1/chat?stream=true", {
    method: "POST",
    headers: headers(key, { "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify({ session_id: sessionId, message }),
    signal,
  });

  // A server that answers with plain JSON instead of a stream: treat it as the final reply.
  if ((res.headers.get("Content-Type") || "").indexOf("json") >= 0 || !res.body) {
    on.onDone(toReply(await res.json().catch(() => ({}))));
    return true;
  }

  let done = false;
  let failure: ApiError | null = null;
  const parser = createSseParser((e) => {
    if (done || failure) return;
    let data: unknown;
    try {
      data = JSON.parse(e.data);
    } catch {
      return;
    }
    const d = (data && typeof data === "object" ? data : {}) as Json;
    if (e.event === "delta") {
      if (typeof d.text === "string" && d.text) on.onDelta(d.text);
    } else if (e.event === "reset") {
      on.onReset();
    } else if (e.event === "done") {
      done = true;
      on.onDone(toReply(d));
    } else if (e.event === "error") {
      failure = new ApiError(typeof d.status === "number" ? d.status : 500, str(d.detail));
    }
  });

  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { value, done: eof } = await reader.read();
      if (eof) break;
      parser.push(decoder.decode(value, { stream: true }));
      if (done || failure) break;
    }
    if (!done && !failure) {
      parser.push(decoder.decode());
      parser.end();
    }
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    if (!done) throw new ApiError(0);
  } finally {
    if (done || failure) reader.cancel().catch(() => undefined);
  }
  if (failure) throw failure;
  return done;
}

export function errorText(e: ApiError): string {
  switch (e.status) {
    case 0:
      return "Could not reach the chat service.";
    case 401:
    case 403:
      return "Chat is unavailable on this site.";
    case 402:
      return "This chat is temporarily unavailable.";
    case 429:
      return e.retryAfter
        ? "You're sending messages too fast — please wait " +
            e.retryAfter +
            (e.retryAfter === 1 ? " second." : " seconds.")
        : "You're sending messages too fast — please wait a moment.";
    default:
      return e.detail || "Something went wrong. Please try again.";
  }
}
