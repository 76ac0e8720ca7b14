"use client";

import { useCallback, useEffect, useRef, useState } from "react";
import { api, errorMessage } from "./api";

/** Read a query-string parameter after hydration (static export: no server-side params). */
export function useQueryParam(name: string): string | null | undefined {
  const [value, setValue] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    setValue(new URLSearchParams(window.location.search).get(name));
  }, [name]);
  return value;
}

export interface Resource<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => Promise<void>;
  setData: (d: T) => void;
}

/** GET a URL (with params) and keep the result; `url = null` skips the request. */
export function useGet<T>(url: string | null, params?: Record<string, unknown>): Resource<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState<boolean>(!!url);
  const key = url ? url + JSON.stringify(params ?? {}) : null;
  const seq = useRef(0);

  const load = useCallback(async () => {
    if (!url) return;
    const mine = ++seq.current;
    setLoading(true);
    setError(null);
    try {
      const clean: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(params ?? {})) if (v !== "" && v !== undefined && v !== null) clean[k] = v;
      const res = await api.get<T>(url, { params: clean });
      if (mine === seq.current) setData(res.data);
    } catch (e) {
      if (mine === seq.current) setError(errorMessage(e));
    } finally {
      if (mine === seq.current) setLoading(false);
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  useEffect(() => {
    void load();
  }, [load]);

  return { data, error, loading, reload: load, setData };
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** A date without the time (billing periods, invoices). */
export function formatDay(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { dateStyle: "medium" });
}

/** An amount in the currency's smallest unit (cents), e.g. 2900 "usd" → "$29.00". */
export function formatMoney(cents: number, currency = "usd"): string {
  const code = (currency || "usd").toUpperCase();
  try {
    const fmt = new Intl.NumberFormat(undefined, { style: "currency", currency: code });
    const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
    return fmt.format(cents / 10 ** digits);
  } catch {
    return `${(cents / 100).toFixed(2)} ${code}`;
  }
}

/** "1,234" in the user's locale. */
export function formatNumber(n: number): string {
  return n.toLocaleString();
}
