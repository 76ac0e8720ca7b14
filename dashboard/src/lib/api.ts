/**
 * The one API client. Same-origin, relative URLs (`/api/v1/...`).
 * The access token lives only in memory; the refresh token is an HttpOnly cookie that no script
 * can read (the server sets it because every request says `X-Frontdesk-Client: dashboard`).
 * On page load and on a 401, the cookie is swapped for a new access token once (the cookie
 * rotates), then the request is retried. If the refresh fails, the browser goes to /login/.
 */
import axios, { AxiosError, type AxiosRequestConfig, type InternalAxiosRequestConfig } from "axios";
import type { Tokens } from "./types";

/** sessionStorage key: the publishable key returned once by signup, for the onboarding snippet. */
export const PK_STORAGE = "fd_onboarding_pk";

/** Tells the API to keep the refresh token in its HttpOnly cookie (and a cross-site form cannot send it). */
const CLIENT_HEADER = { "X-Frontdesk-Client": "dashboard" };
/** localStorage flag (not a secret): whether a refresh cookie is worth trying on page load. */
const SIGNED_IN = "fd_signed_in";

let accessToken: string | null = null;

if (typeof window !== "undefined") {
  // tokens kept by earlier versions of the dashboard: never again readable by scripts
  window.localStorage.removeItem("fd_access");
  window.localStorage.removeItem("fd_refresh");
}

export function getAccessToken(): string | null {
  return accessToken;
}

/** Whether this browser signed in and may still hold a refresh cookie. */
export function maybeSignedIn(): boolean {
  return typeof window !== "undefined" && window.localStorage.getItem(SIGNED_IN) === "1";
}

export function setTokens(t: Pick<Tokens, "access_token">): void {
  accessToken = t.access_token;
  window.localStorage.setItem(SIGNED_IN, "1");
}

export function clearTokens(): void {
  accessToken = null;
  if (typeof window !== "undefined") window.localStorage.removeItem(SIGNED_IN);
}

export const api = axios.create({
  baseURL: "/api/v1",
  headers: { Accept: "application/json, application/problem+json", ...CLIENT_HEADER },
  timeout: 60_000,
});

const NO_REFRESH = ["/auth/login", "/auth/signup", "/auth/refresh", "/auth/password/", "/auth/invitations/", "/auth/unlock"];

let refreshing: Promise<string | null> | null = null;

/** Seconds-since-epoch expiry of a JWT, or null if it cannot be read. */
function tokenExpiry(token: string): number | null {
  try {
    const part = token.split(".")[1];
    if (!part) return null;
    const json = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as { exp?: unknown };
    return typeof json.exp === "number" ? json.exp : null;
  } catch {
    return null;
  }
}

/** A new access token from the refresh cookie, or null when signed out. */
export function refreshOnce(): Promise<string | null> {
  // single flight: concurrent callers share one refresh (the refresh token is single-use)
  refreshing ??= refreshTokens().finally(() => {
    setTimeout(() => {
      refreshing = null;
    }, 0);
  });
  return refreshing;
}

api.interceptors.request.use(async (config) => {
  let token = getAccessToken();
  const url = config.url ?? "";
  // refresh a token that is about to expire before sending, instead of collecting a 401
  if (token && !NO_REFRESH.some((p) => url.includes(p))) {
    const exp = tokenExpiry(token);
    if (exp !== null && exp * 1000 < Date.now() + 15_000) {
      token = (await refreshOnce()) ?? token;
    }
  }
  if (token && !config.headers.Authorization) {
    config.headers.Authorization = `Bearer ${token}`;
  }
  return config;
});

async function refreshTokens(): Promise<string | null> {
  if (!maybeSignedIn()) return null;
  const call = async (): Promise<string | null> => {
    try {
      // plain axios: no interceptors, no stale Authorization header; the cookie goes along
      const res = await axios.post<Tokens>("/api/v1/auth/refresh", {}, { headers: CLIENT_HEADER });
      setTokens(res.data);
      return res.data.access_token;
    } catch (err) {
      const status = axios.isAxiosError(err) ? err.response?.status : undefined;
      if (status === 401 || status === 403) clearTokens(); // signed out or expired (not a network blip)
      return null;
    }
  };
  // one refresh at a time across this site's tabs: each rotates the cookie, and a cookie sent
  // twice would look stolen and end the session
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request("fd-refresh", call);
  }
  return call();
}

function goToLogin(): void {
  clearTokens();
  if (typeof window !== "undefined" && !window.location.pathname.startsWith("/login")) {
    const next = window.location.pathname + window.location.search;
    window.location.assign(`/login/?next=${encodeURIComponent(next)}`);
  }
}

type RetriableConfig = InternalAxiosRequestConfig & { _retried?: boolean };


api.interceptors.response.use(
  (res) => res,
  async (error: AxiosError) => {
    const config = error.config as RetriableConfig | undefined;
    const status = error.response?.status;
    const url = config?.url ?? "";
    if (status !== 401 || !config || config._retried || NO_REFRESH.some((p) => url.includes(p))) {
      throw error;
    }
    config._retried = true;
    const token = await refreshOnce();
    if (!token) {
      goToLogin();
      throw error;
    }
    config.headers.Authorization = `Bearer ${token}`;
    return api.request(config as AxiosRequestConfig);
  },
);

interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: unknown;
  code?: string;
  errors?: Array<{ loc?: unknown[]; msg?: string; message?: string; field?: string }>;
}

/** Problem codes that the Billing page resolves (upgrade, pay): their messages get a link to it. */
const BILLING_CODES = new Set(["quota_exceeded", "plan_limit", "payment_past_due"]);
const billingMessages = new Set<string>();

/** Whether `message` came from `errorMessage` for a billing problem (quota, plan limit, past due). */
export function isBillingProblem(message: string | null | undefined): boolean {
  return !!message && billingMessages.has(message);
}

/** A human message for any error: the problem+json `detail`, else the title, else a generic text. */
export function errorMessage(err: unknown, fallback = "Something went wrong. Please try again."): string {
  const message = describeError(err, fallback);
  if (axios.isAxiosError(err)) {
    const data = err.response?.data as Problem | undefined;
    if (data && typeof data === "object" && typeof data.code === "string" && BILLING_CODES.has(data.code)) billingMessages.add(message);
  }
  return message;
}

function describeError(err: unknown, fallback: string): string {
  if (axios.isAxiosError(err)) {
    const data = err.response?.data as Problem | string | undefined;
    if (data && typeof data === "object") {
      if (typeof data.detail === "string" && data.detail) return data.detail;
      if (Array.isArray(data.detail)) {
        const first = data.detail[0] as { msg?: string } | undefined;
        if (first?.msg) return first.msg;
      }
      if (data.errors && data.errors.length) {
        const e = data.errors[0];
        const m = e.msg ?? e.message;
        if (m) return m;
      }
      if (data.title) return data.title;
    }
    if (!err.response) return "Cannot reach the server. Check your connection.";
    return `Request failed (${err.response.status}).`;
  }
  if (err instanceof Error && err.message) return err.message;
  return fallback;
}

export function errorStatus(err: unknown): number | undefined {
  return axios.isAxiosError(err) ? err.response?.status : undefined;
}

import type { BotConfig } from "./types";

/** BotConfigOut → BotConfigIn body for PUT /customer/config (the PUT replaces; the LLM key is omitted so it is kept). */
export function configToInput(cfg: BotConfig, patch: Partial<Omit<BotConfig, "llm" | "updated_at">> = {}): Record<string, unknown> {
  const { updated_at: _u, llm, ...rest } = cfg;
  void _u;
  const { api_key_set: _k, ...llmIn } = llm;
  void _k;
  return { ...rest, llm: llmIn, ...patch };
}
