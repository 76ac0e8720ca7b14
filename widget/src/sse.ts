/** Minimal Server-Sent Events parser (https://html.spec.whatwg.org/#event-stream-interpretation). */

export interface SseEvent {
  event: string;
  data: string;
}

export interface SseParser {
  /** Feed decoded text; complete events are passed to the callback. */
  push(chunk: string): void;
  /** End of stream: dispatch whatever is complete, leniently including a final event lacking its blank line. */
  end(): void;
}

export function createSseParser(onEvent: (e: SseEvent) => void): SseParser {
  let buf = "";
  let name = "";
  let data: string[] = [];

  const line = (l: string): void => {
    if (l === "") {
      if (data.length) onEvent({ event: name || "message", data: data.join("\n") });
      name = "";
      data = [];
      return;
    }
    if (l.charAt(0) === ":") return; // comment / keep-alive
    const i = l.indexOf(":");
    const field = i < 0 ? l : l.slice(0, i);
    let value = i < 0 ? "" : l.slice(i + 1);
    if (value.charAt(0) === " ") value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  };

  return {
    push(chunk) {
      buf += chunk;
      for (;;) {
        const m = /\r\n|\r|\n/.exec(buf);
        if (!m) break;
        // A lone "\r" at the end may be the first half of "\r\n": wait for more.
        if (m[0] === "\r" && m.index === buf.length - 1) break;
        line(buf.slice(0, m.index));
        buf = buf.slice(m.index + m[0].length);
      }
    },
    end() {
      if (buf) line(buf.replace(/\r$/, ""));
      buf = "";
      line("");
    },
  };
}
