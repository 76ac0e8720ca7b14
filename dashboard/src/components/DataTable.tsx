"use client";

import type { HTMLAttributes, ReactNode } from "react";
import type { Page } from "@/lib/types";
import { ErrorBox, Loading, Pagination, Table, cx, td, th } from "./ui";

export interface Column<T> {
  /** the header cell's content (a string, or an sr-only label for an actions column) */
  header: ReactNode;
  cell: (row: T) => ReactNode;
  /** classes added to the body cells of the column */
  className?: string;
}

/** What a QueryView, ListView or DataTable needs of a query (TanStack's useQuery result has it). */
export interface ListQuery<D> {
  data: D | undefined;
  error: unknown;
  /** the first fetch is under way (a query waiting for its URL is not loading) */
  isLoading: boolean;
  refetch: () => unknown;
}

type RowAttributes = HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string | undefined>;

/** A list already in hand (rows nested in a loaded object): no loading, no error. */
export function loaded<D>(data: D): ListQuery<D> {
  return { data, error: null, isLoading: false, refetch: () => undefined };
}

function isPage<T>(data: unknown): data is Page<T> {
  return !!data && typeof data === "object" && "items" in data && "total" in data && "limit" in data;
}

/** The rows of a list's data: a Page's items, an array itself, or what `rows` picks. */
function itemsOf<T, D>(data: D, rows?: (data: D) => T[]): T[] {
  if (rows) return rows(data);
  return isPage<T>(data) ? data.items : (data as T[]);
}

/** The states of one read: the error with Retry, loading, then `children(data)` once it is in. */
export function QueryView<D>({ query, retry = true, children }: { query: ListQuery<D>; retry?: boolean; children: (data: D) => ReactNode }) {
  const { data, error, isLoading } = query;
  return (
    <>
      {error ? <ErrorBox error={error} onRetry={retry ? () => void query.refetch() : undefined} /> : null}
      {isLoading && !error && <Loading />}
      {data !== undefined && children(data)}
    </>
  );
}

/**
 * The states of any list: QueryView's, then the empty state, or `children(items)` and, for the
 * backend's Page shape, the pagination (with `onPage`). DataTable renders the rows as a table; a
 * list of cards uses this directly.
 */
export function ListView<T, D = Page<T> | T[]>({
  query,
  rows,
  empty,
  onPage,
  retry = true,
  children,
}: {
  query: ListQuery<D>;
  rows?: (data: D) => T[];
  empty?: ReactNode;
  onPage?: (page: number) => void;
  /** false: the error box has no Retry button */
  retry?: boolean;
  children: (items: T[]) => ReactNode;
}) {
  return (
    <QueryView query={query} retry={retry}>
      {(data) => {
        const items = itemsOf<T, D>(data, rows);
        if (items.length === 0) return empty;
        return (
          <>
            {children(items)}
            {onPage && isPage<T>(data) && <Pagination page={data.page} limit={data.limit} total={data.total} onPage={onPage} />}
          </>
        );
      }}
    </QueryView>
  );
}

/** The one table of a list: ListView's states, with the rows under `columns`. */
export function DataTable<T, D = Page<T> | T[]>({
  columns,
  rowKey,
  rowProps,
  testId,
  ...list
}: {
  query: ListQuery<D>;
  columns: Array<Column<T> | false | null | undefined>;
  rowKey: (row: T) => string;
  rows?: (data: D) => T[];
  rowProps?: (row: T) => RowAttributes;
  empty?: ReactNode;
  onPage?: (page: number) => void;
  retry?: boolean;
  testId?: string;
}) {
  const cols = columns.filter((c): c is Column<T> => !!c);
  return (
    <ListView<T, D> {...list}>
      {(items) => (
        <Table>
          <thead>
            <tr>
              {cols.map((c, i) => (
                <th key={i} className={th}>
                  {c.header}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100" data-testid={testId}>
            {items.map((row) => (
              <tr key={rowKey(row)} {...rowProps?.(row)}>
                {cols.map((c, i) => (
                  <td key={i} className={cx(td, c.className)}>
                    {c.cell(row)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </ListView>
  );
}
