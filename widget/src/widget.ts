/**
 * Frontdesk website chat widget.
 *
 *   <script src="https://frontdesk.example/widget.js" data-key="fd_pk_..." async></script>
 *
 * Renders a launcher and chat panel inside an open shadow root on
 * <div id="frontdesk-widget" data-state="loading|ready|error">, and exposes
 * window.Frontdesk = { open(), close(), toggle() }.
 */

import {
  ApiError,
  type ChatReply,
  errorText,
  fetchConfig,
  isAnswer,
  type Rating,
  rateMessage,
  sendMessage,
  toConfig,
  type WidgetConfig,
} from "./api";
import { appendLinkified, el, icon, ICON_CHAT, ICON_CLOSE, ICON_DOWN, ICON_NEW, ICON_SEND, ICON_UP, readableOn } from "./dom";
import { type Role, Store, type StoredMessage } from "./store";
import { CSS } from "./styles";

export interface FrontdeskApi {
  open(): void;
  close(): void;
  toggle(): void;
}

declare global {
  interface Window {
    Frontdesk?: FrontdeskApi;
  }
}

type State = "loading" | "ready" | "error";

const HANDOFF_NOTE = "A team member will reply here.";
const CONFIG_TIMEOUT_MS = 15000;
const MAX_SOURCES = 3;

// Only available while this script's body runs synchronously (async scripts included): capture it now.
const currentScript = document.currentScript as HTMLScriptElement | null;

class Widget {
  private readonly store: Store;
  private sessionId: string;
  private config: WidgetConfig = toConfig({});
  private state: State = "loading";
  private busy = false;
  private inflight: AbortController | null = null;

  readonly host = el("div", { id: "frontdesk-widget", "data-state": "loading" });
  private readonly wrap = el("div", { class: "fd-root fd-loading" });
  private readonly launcher = el("button", { type: "button", class: "fd-launcher", "aria-expanded": "false", "aria-controls": "fd-panel" });
  private readonly panel = el("div", { id: "fd-panel", class: "fd-panel", role: "dialog" });
  private readonly avatar = el("div", { class: "fd-avatar", "aria-hidden": "true" });
  private readonly nameEl = el("div", { class: "fd-name" });
  private readonly subEl = el("div", { class: "fd-sub" });
  private readonly newBtn = el("button", { type: "button", class: "fd-hbtn fd-new", "aria-label": "New conversation", title: "New conversation" }, [icon(ICON_NEW)]);
  private readonly closeBtn = el("button", { type: "button", class: "fd-hbtn fd-close", "aria-label": "Close chat", title: "Close" }, [icon(ICON_CLOSE)]);
  private readonly list = el("div", { class: "fd-messages", role: "log", "aria-live": "polite", "aria-label": "Messages", tabindex: "0" });
  private readonly form = el("form", { class: "fd-form" });
  private readonly input = el("textarea", { class: "fd-input", rows: "1", maxlength: "4000", "aria-label": "Message" });
  private readonly send = el("button", { type: "submit", class: "fd-send", "aria-label": "Send message", title: "Send" }, [icon(ICON_SEND)]);
  private readonly brand = el("div", { class: "fd-brand" }, ["Powered by Frontdesk"]);

  constructor(
    private readonly key: string,
    private readonly api: string,
  ) {
    this.store = new Store(key);
    this.sessionId = this.store.sessionId();
    this.build();
    this.applyConfig();
    for (const m of this.store.messages()) this.render(m, false);
  }

  private build(): void {
    const root = this.host.attachShadow({ mode: "open" });
    const d = document as Document & { adoptedStyleSheets?: CSSStyleSheet[] };
    let adopted = false;
    try {
      if (d.adoptedStyleSheets && "replaceSync" in CSSStyleSheet.prototype) {
        const sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        root.adoptedStyleSheets = [sheet];
        adopted = true;
      }
    } catch {
      adopted = false;
    }
    if (!adopted) root.appendChild(el("style", undefined, [CSS]));

    this.panel.hidden = true;
    this.launcher.appendChild(icon(ICON_CHAT));
    const header = el("div", { class: "fd-header" }, [
      this.avatar,
      el("div", { class: "fd-title" }, [this.nameEl, this.subEl]),
      this.newBtn,
      this.closeBtn,
    ]);
    this.form.appendChild(this.input);
    this.form.appendChild(this.send);
    this.panel.appendChild(header);
    this.panel.appendChild(this.list);
    this.panel.appendChild(this.form);
    this.panel.appendChild(this.brand);
    this.wrap.appendChild(this.panel);
    this.wrap.appendChild(this.launcher);
    root.appendChild(this.wrap);

    this.launcher.addEventListener("click", () => this.toggle(true));
    this.closeBtn.addEventListener("click", () => this.close(true));
    this.newBtn.addEventListener("click", () => this.newConversation());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.submit();
    });
    this.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        void this.submit();
      }
    });
    this.input.addEventListener("input", () => this.autosize());
    root.addEventListener("keydown", (e) => {
      const k = e as KeyboardEvent;
      if (k.key === "Escape" && !k.isComposing && this.isOpen()) {
        k.preventDefault();
        this.close(true);
      }
    });
  }

  mount(): void {
    document.body.appendChild(this.host);
    const timer = new AbortController();
    const t = window.setTimeout(() => timer.abort(), CONFIG_TIMEOUT_MS);
    fetchConfig(this.api, this.key, timer.signal)
      .then((config) => {
        this.config = config;
        this.applyConfig();
        this.setState("ready");
        if (!this.list.querySelector(".fd-msg")) this.showGreeting();
      })
      .catch((e: unknown) => this.fail(e instanceof ApiError ? e : new ApiError(0)))
      .then(() => window.clearTimeout(t));
  }

  // --- open / close ------------------------------------------------------------------------

  isOpen(): boolean {
    return !this.panel.hidden;
  }

  open(focus: boolean): void {
    if (!this.isOpen()) {
      this.panel.hidden = false;
      this.wrap.classList.add("fd-open");
      this.launcher.setAttribute("aria-expanded", "true");
      this.launcher.replaceChild(icon(ICON_CLOSE), this.launcher.firstChild as Node);
      this.scrollToEnd();
    }
    if (focus) (this.input.disabled ? this.closeBtn : this.input).focus();
  }

  close(returnFocus: boolean): void {
    if (!this.isOpen()) return;
    this.panel.hidden = true;
    this.wrap.classList.remove("fd-open");
    this.launcher.setAttribute("aria-expanded", "false");
    this.launcher.replaceChild(icon(ICON_CHAT), this.launcher.firstChild as Node);
    if (returnFocus) this.launcher.focus();
  }

  toggle(focus: boolean): void {
    if (this.isOpen()) this.close(focus);
    else this.open(focus);
  }

  /** Whether keyboard focus is currently inside the widget. */
  hasFocus(): boolean {
    return document.activeElement === this.host;
  }

  // --- state -------------------------------------------------------------------------------

  private setState(state: State): void {
    this.state = state;
    this.host.setAttribute("data-state", state);
    this.wrap.classList.remove("fd-loading");
    this.updateControls();
  }

  private fail(e: ApiError): void {
    this.setState("error");
    const msg = e.status === 401 || e.status === 403 ? "Chat is unavailable on this site." : "Could not reach the chat service.";
    this.addSystem(msg, true);
  }

  private updateControls(): void {
    const off = this.state === "error";
    this.input.disabled = off;
    this.send.disabled = off || this.busy;
    this.newBtn.disabled = off;
    if (this.busy) this.list.setAttribute("aria-busy", "true");
    else this.list.removeAttribute("aria-busy");
  }

  private applyConfig(): void {
    const c = this.config;
    const s = this.wrap.style;
    s.setProperty("--fd-c", c.color);
    s.setProperty("--fd-on", readableOn(c.color));
    // Accent for focus rings and borders on white: the tenant colour unless it is too light to see.
    s.setProperty("--fd-a", readableOn(c.color) === "#ffffff" ? c.color : "#111827");
    this.wrap.classList.toggle("fd-left", c.position === "left");
    this.launcher.setAttribute("aria-label", "Open chat with " + c.botName);
    this.panel.setAttribute("aria-label", "Chat with " + c.botName);
    this.nameEl.textContent = c.botName;
    this.subEl.textContent = c.businessName;
    this.subEl.hidden = !c.businessName || c.businessName === c.botName;
    this.input.placeholder = c.placeholder;
    this.brand.hidden = !c.branding;
    this.renderAvatar();
  }

  private renderAvatar(): void {
    const initial = () => {
      this.avatar.textContent = (this.config.botName.trim().charAt(0) || "?").toUpperCase();
    };
    const url = this.config.avatarUrl;
    if (!url) return initial();
    const img = el("img", { alt: "", src: url });
    img.addEventListener("error", initial);
    this.avatar.textContent = "";
    this.avatar.appendChild(img);
  }

  // --- messages ----------------------------------------------------------------------------

  private scrollToEnd(): void {
    this.list.scrollTop = this.list.scrollHeight;
  }

  private nearEnd(): boolean {
    return this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 80;
  }

  private bubble(role: Role): HTMLElement {
    const node = el("div", { class: "fd-msg fd-msg-" + role });
    this.list.appendChild(node);
    this.scrollToEnd();
    return node;
  }

  /** Render a stored message (`live` ones are new; restored ones are not marked data-done). */
  private render(m: StoredMessage, live: boolean): HTMLElement {
    const node = this.bubble(m.role);
    if (m.role === "bot") {
      appendLinkified(node, m.text);
      if (m.sources && m.sources.length) this.renderSources(node, m.sources);
      if (m.id) this.renderRating(node, m.id, m.rating || null);
      if (live) node.setAttribute("data-done", "true");
    } else {
      node.textContent = m.text;
    }
    return node;
  }

  private addSystem(text: string, error: boolean): HTMLElement {
    const node = this.bubble("system");
    if (error) node.classList.add("fd-msg-error");
    node.textContent = text;
    return node;
  }

  private showGreeting(): void {
    if (this.state !== "ready" || !this.config.greeting) return;
    const node = el("div", { class: "fd-msg fd-msg-bot fd-greeting" });
    appendLinkified(node, this.config.greeting);
    this.list.insertBefore(node, this.list.firstChild);
  }

  private renderSources(node: HTMLElement, labels: string[]): void {
    const ul = el("ul");
    for (const label of labels) ul.appendChild(el("li", undefined, [label]));
    node.appendChild(el("details", { class: "fd-sources" }, [el("summary", undefined, ["Sources"]), ul]));
  }

  private sourceLabels(reply: ChatReply): string[] {
    if (!this.config.showSources) return [];
    const out: string[] = [];
    for (const s of reply.sources) {
      const name = typeof s.document_name === "string" ? s.document_name.trim() : "";
      if (!name) continue;
      const heading = typeof s.heading === "string" ? s.heading.trim() : "";
      const label = heading ? name + " — " + heading : name;
      if (out.indexOf(label) < 0) out.push(label);
      if (out.length >= MAX_SOURCES) break;
    }
    return out;
  }

  /** Thumbs up / down under an answer: a toggle pair (pressing the pressed one clears it). */
  private renderRating(node: HTMLElement, messageId: string, initial: Rating | null): void {
    const sessionId = this.sessionId;
    let current = initial;
    const group = el("div", { class: "fd-rate", role: "group", "aria-label": "Rate this answer" });
    const buttons: Record<Rating, HTMLButtonElement> = {
      up: el("button", { type: "button", class: "fd-rate-up", "aria-label": "Helpful", title: "Helpful" }, [icon(ICON_UP)]),
      down: el("button", { type: "button", class: "fd-rate-down", "aria-label": "Not helpful", title: "Not helpful" }, [
        icon(ICON_DOWN),
      ]),
    };
    const show = (): void => {
      buttons.up.setAttribute("aria-pressed", current === "up" ? "true" : "false");
      buttons.down.setAttribute("aria-pressed", current === "down" ? "true" : "false");
    };
    const choose = (rating: Rating): void => {
      const before = current;
      current = current === rating ? null : rating;
      show();
      group.setAttribute("aria-busy", "true");
      rateMessage(this.api, this.key, sessionId, messageId, current)
        .then(() => {
          if (sessionId === this.sessionId) this.store.setRating(messageId, current);
          group.setAttribute("data-saved", current || "none");
        })
        .catch(() => {
          current = before;
          show();
        })
        .then(() => group.removeAttribute("aria-busy"));
    };
    buttons.up.addEventListener("click", () => choose("up"));
    buttons.down.addEventListener("click", () => choose("down"));
    group.appendChild(buttons.up);
    group.appendChild(buttons.down);
    show();
    node.appendChild(group);
  }

  private autosize(): void {
    const s = this.input.style;
    s.height = "auto";
    s.height = Math.min(this.input.scrollHeight + 2, 120) + "px";
  }

  // --- sending -----------------------------------------------------------------------------

  private async submit(): Promise<void> {
    if (this.busy || this.state === "error") return;
    const text = this.input.value.trim();
    if (!text) return;
    this.input.value = "";
    this.autosize();
    this.input.focus();

    const userEl = this.render({ role: "user", text }, true);
    const typing = el("div", { class: "fd-typing", "aria-hidden": "true" }, [
      el("span"),
      el("span"),
      el("span"),
    ]);
    this.list.appendChild(typing);
    this.scrollToEnd();

    const ctrl = new AbortController();
    this.inflight = ctrl;
    this.busy = true;
    this.updateControls();

    let bot: HTMLElement | null = null;
    let streamed = "";
    let saved = false;
    const textNode = document.createTextNode("");
    const botEl = (): HTMLElement => {
      if (!bot) {
        typing.remove();
        bot = this.bubble("bot");
        bot.appendChild(textNode);
      }
      return bot;
    };
    const saveUser = () => {
      if (!saved) this.store.add({ role: "user", text });
      saved = true;
    };

    try {
      const done = await sendMessage(
        this.api,
        this.key,
        this.sessionId,
        text,
        {
          onDelta: (t) => {
            const stick = this.nearEnd();
            streamed += t;
            botEl();
            textNode.data = streamed;
            if (stick) this.scrollToEnd();
          },
          onReset: () => {
            streamed = "";
            textNode.data = "";
          },
          onDone: (r) => {
            if (ctrl.signal.aborted) return;
            typing.remove();
            saveUser();
            const reply = r.reply || streamed;
            if (!reply) {
              if (bot) (bot as HTMLElement).remove();
              if (r.handoff) {
                this.addSystem(HANDOFF_NOTE, false);
                this.store.add({ role: "system", text: HANDOFF_NOTE });
              }
              return;
            }
            const node = botEl();
            node.textContent = "";
            appendLinkified(node, reply);
            const sources = this.sourceLabels(r);
            if (sources.length) this.renderSources(node, sources);
            const id = isAnswer({ ...r, reply }) ? r.messageId : null;
            if (id) this.renderRating(node, id, null);
            node.setAttribute("data-done", "true");
            const stored: StoredMessage = { role: "bot", text: reply };
            if (sources.length) stored.sources = sources;
            if (id) stored.id = id;
            this.store.add(stored);
            this.scrollToEnd();
          },
        },
        ctrl.signal,
      );
      if (!done && !ctrl.signal.aborted) throw new ApiError(0);
    } catch (e) {
      if (ctrl.signal.aborted) return; // "New conversation" cleared everything already
      if (!(e instanceof ApiError)) console.error("Frontdesk widget:", e);
      const err = e instanceof ApiError ? e : new ApiError(-1);
      typing.remove();
      if (streamed) {
        // Part of a reply arrived: keep it, and say it was cut short.
        saveUser();
        const node = botEl();
        node.textContent = "";
        appendLinkified(node, streamed);
        this.store.add({ role: "bot", text: streamed });
        this.addSystem(err.status === 0 ? "The reply was interrupted." : errorText(err), true);
      } else {
        // Nothing arrived: the message was not answered, so hand it back to the visitor.
        if (bot) (bot as HTMLElement).remove();
        userEl.remove();
        if (!this.input.value.trim()) {
          this.input.value = text;
          this.autosize();
        }
        this.addSystem(errorText(err), true);
      }
    } finally {
      if (this.inflight === ctrl) {
        this.inflight = null;
        this.busy = false;
        this.updateControls();
      }
    }
  }

  private newConversation(): void {
    if (this.inflight) this.inflight.abort();
    this.inflight = null;
    this.busy = false;
    this.sessionId = this.store.reset();
    this.list.textContent = "";
    this.updateControls();
    this.showGreeting();
    this.input.focus();
  }
}

function scriptElement(): HTMLScriptElement | null {
  if (currentScript) return currentScript;
  const tagged = document.querySelectorAll<HTMLScriptElement>("script[data-key]");
  return tagged.length ? tagged[tagged.length - 1] : null;
}

function apiBase(script: HTMLScriptElement | null): string {
  let api = script ? (script.getAttribute("data-api") || "").trim() : "";
  if (!api) {
    try {
      api = new URL(script ? script.src : "", location.href).origin;
    } catch {
      api = location.origin;
    }
  }
  return api.replace(/\/+$/, "");
}

function start(): void {
  if (window.Frontdesk) return; // the script was included twice
  const script = scriptElement();
  const key = script ? (script.getAttribute("data-key") || "").trim() : "";
  const api = apiBase(script);
  let widget: Widget | null = null;
  let want: boolean | null = script && script.getAttribute("data-open") === "true" ? true : null;

  window.Frontdesk = {
    open: () => (widget ? widget.open(true) : (want = true)),
    close: () => (widget ? widget.close(widget.hasFocus()) : (want = false)),
    toggle: () => (widget ? widget.toggle(true) : (want = !want)),
  };

  const mount = (): void => {
    if (document.getElementById("frontdesk-widget")) return;
    widget = new Widget(key, api);
    widget.mount();
    if (want) widget.open(false);
  };
  if (!key) console.error("Frontdesk widget: the <script> tag needs a data-key attribute.");
  if (document.body) mount();
  else document.addEventListener("DOMContentLoaded", mount);
}

start();
