"use client";

/**
 * Reads and writes through TanStack Query, with one error path.
 *
 * - `useApiQuery(url, params)`: a GET, cached under the URL's segments and the params, so a write
 *   can invalidate everything below a URL (`invalidates: ["/customer/knowledge"]` refreshes the
 *   list, the gaps and the imports).
 * - `useAction(fn, { success, invalidates })`: a write. Its outcome goes through the one
 *   MutationCache below: a success toast (when it has a message), then the invalidation; on
 *   failure an error toast carrying the problem (a billing problem gets its link). No page writes
 *   its own try/toast/reload.
 */
import { useCallback, useState, type ReactNode } from "react";
import { MutationCache, QueryClient, QueryClientProvider, keepPreviousData, useMutation, useQuery, useQueryClient, type QueryKey } from "@tanstack/react-query";
import { api, type ApiError } from "./api";
import { useFeedback } from "@/components/feedback";

interface ActionMeta extends Record<string, unknown> {
  /** The success toast (none when absent). */
  success?: string | ((data: unknown, vars: unknown) => string | null);
  /** URLs whose queries (and those below them) are refetched after a success. */
  invalidates?: readonly string[];
  /** false: the caller shows the error itself (in a form, say); no toast. */
  toastError?: boolean;
}

declare module "@tanstack/react-query" {
  interface Register {
    defaultError: ApiError;
    mutationMeta: ActionMeta;
  }
}

/** The cache key of a GET: its path segments, then its params. */
export function keyOf(url: string, params?: Record<string, unknown>): QueryKey {
  const segments = url.split("?")[0].split("/").filter(Boolean);
  return params === undefined ? segments : [...segments, params];
}

/** The params worth sending: empty strings, null and undefined are left out. */
function clean(params: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params ?? {})) if (v !== "" && v !== undefined && v !== null) out[k] = v;
  return out;
}

export function QueryProvider({ children }: { children: ReactNode }) {
  const { toast, toastError } = useFeedback();
  const [client] = useState(() => {
    const qc: QueryClient = new QueryClient({
      defaultOptions: {
        // a failed read shows its error at once (with Retry); a page keeps its rows while it refetches
        queries: { retry: false, refetchOnWindowFocus: false, placeholderData: keepPreviousData },
        mutations: { retry: false },
      },
      mutationCache: new MutationCache({
        onSuccess: async (data, vars, _ctx, mutation) => {
          const meta = mutation.meta ?? {};
          const message = typeof meta.success === "function" ? meta.success(data, vars) : meta.success;
          if (message) toast(message, "success");
          await Promise.all((meta.invalidates ?? []).map((url) => qc.invalidateQueries({ queryKey: keyOf(url) })));
        },
        onError: (error, _vars, _ctx, mutation) => {
          if (mutation.meta?.toastError !== false) toastError(error);
        },
      }),
    });
    return qc;
  });
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

/** GET `url` (null: not yet) with `params`; the result is TanStack's query (data, error, isPending, refetch) and setData. */
export function useApiQuery<T>(
  url: string | null,
  params?: Record<string, unknown>,
  /** a function gets the data and how many times it has been fetched (a pure function of both: it is called on every render) */
  options: { refetchInterval?: number | false | ((data: T | undefined, fetches: number) => number | false) } = {},
) {
  const sent = clean(params);
  const interval = options.refetchInterval;
  const client = useQueryClient();
  const queryKey = keyOf(url ?? "", sent);
  const query = useQuery({
    queryKey,
    queryFn: async ({ signal }) => (await api.get<T>(url as string, { params: sent, signal })).data,
    enabled: url !== null,
    refetchInterval: typeof interval === "function" ? (q) => interval(q.state.data, q.state.dataUpdateCount) : interval,
  });
  /** Put a write's answer in the cache (the PUT returned the new state: no refetch needed). */
  const setData = (data: T) => client.setQueryData(queryKey, data);
  return { ...query, setData };
}

interface ActionOptions<V, R> {
  success?: string | ((data: R, vars: V) => string | null);
  invalidates?: readonly string[];
  onSuccess?: (data: R, vars: V) => void;
  toastError?: boolean;
}

/**
 * A write with the one feedback path. `run(vars)` resolves to the result, or to undefined after a
 * failure (already shown); `isPending` and `variables` say what is in flight.
 */
export function useAction<V = void, R = unknown>(fn: (vars: V) => Promise<R>, opts: ActionOptions<V, R> = {}) {
  const mutation = useMutation<R, ApiError, V>({
    mutationFn: fn,
    meta: {
      success: opts.success as ActionMeta["success"],
      invalidates: opts.invalidates,
      toastError: opts.toastError,
    },
    onSuccess: opts.onSuccess ? (data, vars) => opts.onSuccess?.(data, vars) : undefined,
  });
  const run = (vars: V): Promise<R | undefined> => mutation.mutateAsync(vars).catch(() => undefined);
  return { ...mutation, run };
}

/** Refetch the queries of `url` and of every URL below it (after a write done outside useAction). */
export function useInvalidate(): (url: string) => Promise<void> {
  const client = useQueryClient();
  return useCallback((url: string) => client.invalidateQueries({ queryKey: keyOf(url) }), [client]);
}
