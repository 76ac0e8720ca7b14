/**
 * The one API client. Same-origin, relative URLs (`/api/v1/...`).
 * The access token lives only in memory; the refresh token is an HttpOnly cookie that no script
 * can read (the server sets it because every request says `X-Frontdesk-Client: dashboard`).
 * On page load and on a 401, the cookie is swapped for a new access token once (the cookie
 * rotates), then the request is retried. If the refresh fails, the browser goes to /login/.
 */
import axios, { AxiosError, type AxiosRequestConfig, type InternalAxiosRequestConfig } from "axios";
import type { BotConfig, Tokens } from "./types";

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
    // a full load, not the router (this module is outside React): no signed-out state stays in memory
    // eslint-disable-next-line @next/next/no-location-assign-relative-destination
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
      throw toApiError(error);
    }
    config._retried = true;
    const token = await refreshOnce();
    if (!token) {
      goToLogin();
      throw toApiError(error);
    }
    config.headers.Authorization = `Bearer ${token}`;
    return api.request(config as AxiosRequestConfig);
  },
);

/** A problem+json body (RFC 9457) as the API sends it; `errors` lists the fields a 422 rejects. */
interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: unknown;
  code?: string;
  errors?: Array<{ loc?: unknown[]; msg?: string; message?: string; field?: string }>;
}

/** One rejected field of a request (a 422's `errors`). */
export interface FieldError {
  field: string;
  message: string;
}

/** Problem codes that the Billing page resolves (upgrade, pay): their errors get a link to it. */
const BILLING_CODES = new Set(["quota_exceeded", "plan_limit", "payment_past_due"]);

/**
 * Every failed API call rejects with one of these: the problem's `code` (what to branch on, never
 * the message), the HTTP `status` (undefined when the server was not reached), the human
 * `message` (the problem's detail) and the rejected fields.
 */
export class ApiError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly fieldErrors: FieldError[];

  constructor(message: string, opts: { status?: number; code?: string; fieldErrors?: FieldError[]; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "ApiError";
    this.status = opts.status;
    this.code = opts.code;
    this.fieldErrors = opts.fieldErrors ?? [];
  }

  /** The error names a quota, a plan limit or an unpaid bill: the Billing page resolves it. */
  get billing(): boolean {
    return !!this.code && BILLING_CODES.has(this.code);
  }
}

const GENERIC = "Something went wrong. Please try again.";

/** Any thrown value as an ApiError (an ApiError is returned as it is). */
export function toApiError(err: unknown, fallback = GENERIC): ApiError {
  if (err instanceof ApiError) return err;
  if (axios.isAxiosError(err)) {
    const status = err.response?.status;
    const data = err.response?.data as Problem | string | undefined;
    const problem = data && typeof data === "object" ? data : undefined;
    const fieldErrors = fieldErrorsOf(problem);
    let message: string | undefined;
    if (problem) {
      if (typeof problem.detail === "string" && problem.detail) message = problem.detail;
      else if (Array.isArray(problem.detail)) message = (problem.detail[0] as { msg?: string } | undefined)?.msg;
      message ??= fieldErrors[0]?.message || problem.title;
    }
    message ||= !err.response ? "Cannot reach the server. Check your connection." : `Request failed (${status}).`;
    return new ApiError(message, { status, code: typeof problem?.code === "string" ? problem.code : undefined, fieldErrors, cause: err });
  }
  if (err instanceof Error && err.message) return new ApiError(err.message, { cause: err });
  if (typeof err === "string" && err) return new ApiError(err);
  return new ApiError(fallback, { cause: err });
}

function fieldErrorsOf(problem: Problem | undefined): FieldError[] {
  const out: FieldError[] = [];
  for (const e of problem?.errors ?? []) {
    const message = e.msg ?? e.message;
    if (!message) continue;
    const loc = Array.isArray(e.loc) ? e.loc.filter((p) => p !== "body").join(".") : "";
    out.push({ field: e.field ?? loc, message });
  }
  return out;
}

/** A human message for any error: the problem+json `detail`, else the first field error, else the title. */
export function errorMessage(err: unknown, fallback = GENERIC): string {
  return toApiError(err, fallback).message;
}

/** BotConfigOut → BotConfigIn body for PUT /customer/config (the PUT replaces; the LLM key is omitted so it is kept). */
export function configToInput(cfg: BotConfig, patch: Partial<Omit<BotConfig, "llm" | "updated_at">> = {}): Record<string, unknown> {
  const { updated_at: _u, llm, ...rest } = cfg;
  void _u;
  const { api_key_set: _k, ...llmIn } = llm;
  void _k;
  return { ...rest, llm: llmIn, ...patch };
}
