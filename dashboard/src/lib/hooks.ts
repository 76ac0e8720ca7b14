"use client";

import { useMemo, useSyncExternalStore } from "react";

const noSubscription = () => () => {};

/** A value only the browser knows (location, storage), read after hydration: `server` until then. */
export function useBrowserValue<T extends string | null>(read: () => T, server: T): T {
  return useSyncExternalStore(noSubscription, read, () => server);
}

/** The page's query string, or null before hydration (a static export has no server-side params). */
export function useSearch(): URLSearchParams | null {
  const search = useBrowserValue<string | null>(() => window.location.search, null);
  return useMemo(() => (search === null ? null : new URLSearchParams(search)), [search]);
}

/** A query-string parameter: undefined before hydration, null when absent. */
export function useQueryParam(name: string): string | null | undefined {
  const search = useSearch();
  return search === null ? undefined : search.get(name);
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
