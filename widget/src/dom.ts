/** Small DOM helpers. Server and visitor text only ever goes through textContent / text nodes. */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Record<string, string>,
  children?: (Node | string)[],
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (attrs) for (const k in attrs) node.setAttribute(k, attrs[k]);
  if (children) for (const c of children) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  return node;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/** A 24×24 stroke icon built from path data (no innerHTML, so Trusted Types pages are fine). */
export function icon(paths: string[]): SVGSVGElement {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  for (const d of paths) {
    const p = document.createElementNS(SVG_NS, "path");
    p.setAttribute("d", d);
    svg.appendChild(p);
  }
  return svg;
}

export const ICON_CHAT = ["M21 12a8 8 0 0 1-11.8 7L4 20.5l1.5-4.9A8 8 0 1 1 21 12z"];
export const ICON_CLOSE = ["M6 6l12 12", "M18 6L6 18"];
export const ICON_SEND = ["M4 12l16-8-6 16-2.5-6.5z", "M11.5 13.5L20 4"];
export const ICON_UP = ["M7 10v11", "M15 5.9L14 10h5.8a2 2 0 0 1 2 2.3l-1.4 7A2 2 0 0 1 18.4 21H7V10l4-8a3 3 0 0 1 4 3.9z"];
export const ICON_DOWN = ["M17 14V3", "M9 18.1L10 14H4.2a2 2 0 0 1-2-2.3l1.4-7A2 2 0 0 1 5.6 3H17v11l-4 8a3 3 0 0 1-4-3.9z"];
export const ICON_NEW = ["M4 12a8 8 0 1 0 2.3-5.7", "M4 4v4.5h4.5"];

const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+/gi;

/** Append `text` to `parent`, turning bare http(s) URLs into safe links. */
export function appendLinkified(parent: Node, text: string): void {
  let last = 0;
  URL_RE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = URL_RE.exec(text))) {
    let url = m[0];
    // Leave trailing punctuation (and an unbalanced closing bracket) out of the link.
    for (;;) {
      const ch = url.charAt(url.length - 1);
      if (/[.,;:!?*'"]/.test(ch)) url = url.slice(0, -1);
      else if (ch === ")" && url.split("(").length < url.split(")").length) url = url.slice(0, -1);
      else if (ch === "]" && url.split("[").length < url.split("]").length) url = url.slice(0, -1);
      else break;
    }
    let href: string | null = null;
    try {
      const parsed = new URL(url);
      if (parsed.protocol === "http:" || parsed.protocol === "https:") href = parsed.href;
    } catch {
      href = null;
    }
    if (!href) continue;
    if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
    const a = el("a", { href, target: "_blank", rel: "noopener noreferrer" }, [url]);
    parent.appendChild(a);
    last = m.index + url.length;
    URL_RE.lastIndex = last;
  }
  if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
}

/** White or near-black, whichever contrasts more with the hex colour `bg`. */
export function readableOn(bg: string): string {
  let hex = bg.replace("#", "");
  if (hex.length === 3) hex = hex.replace(/./g, "$&$&");
  const lin = (i: number): number => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
  };
  const l = 0.2126 * lin(0) + 0.7152 * lin(2) + 0.0722 * lin(4);
  // Contrast against white (L=1) vs. #111827 (L≈0.0116).
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.0616 ? "#ffffff" : "#111827";
}
