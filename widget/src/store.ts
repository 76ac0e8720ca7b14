/** Visitor session id and transcript, kept in localStorage (in memory when storage is unavailable). */

export type Role = "user" | "bot" | "system";

export interface StoredMessage {
  role: Role;
  text: string;
  sources?: string[];
  /** A bot answer's server id: the answer can be rated. */
  id?: string;
  rating?: "up" | "down";
}

const MAX_MESSAGES = 50;
const memory: Record<string, string> = {};

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return key in memory ? memory[key] : null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    if (value === null) delete memory[key];
    else memory[key] = value;
  }
}

export function newSessionId(): string {
  const c = typeof crypto !== "undefined" ? crypto : undefined;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c && typeof c.getRandomValues === "function") c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let hex = "";
  for (let i = 0; i < bytes.length; i++) hex += (bytes[i] + 256).toString(16).slice(1);
  return hex;
}

export class Store {
  private readonly sessionKey: string;
  private readonly transcriptKey: string;

  constructor(apiKey: string) {
    const id = apiKey.slice(0, 16);
    this.sessionKey = "frontdesk:session:" + id;
    this.transcriptKey = "frontdesk:transcript:" + id;
  }

  sessionId(): string {
    let id = read(this.sessionKey);
    if (!id) {
      id = newSessionId();
      write(this.sessionKey, id);
    }
    return id;
  }

  messages(): StoredMessage[] {
    try {
      const parsed: unknown = JSON.parse(read(this.transcriptKey) || "[]");
      if (!Array.isArray(parsed)) return [];
      return parsed.filter(
        (m): m is StoredMessage =>
          !!m && typeof m === "object" && typeof m.text === "string" && ["user", "bot", "system"].indexOf(m.role) >= 0,
      );
    } catch {
      return [];
    }
  }

  add(message: StoredMessage): void {
    const all = this.messages();
    all.push(message);
    write(this.transcriptKey, JSON.stringify(all.slice(-MAX_MESSAGES)));
  }

  /** Remember the visitor's rating of the answer `id` (`null` clears it). */
  setRating(id: string, rating: "up" | "down" | null): void {
    const all = this.messages();
    for (const m of all) {
      if (m.id !== id) continue;
      if (rating) m.rating = rating;
      else delete m.rating;
    }
    write(this.transcriptKey, JSON.stringify(all));
  }

  /** Forget the transcript and start a new session; returns the new session id. */
  reset(): string {
    write(this.transcriptKey, null);
    const id = newSessionId();
    write(this.sessionKey, id);
    return id;
  }
}
