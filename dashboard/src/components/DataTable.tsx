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

/** What a DataTable needs of a query (TanStack's useQuery result has it). */
export interface ListQuery<D> {
  data: D | undefined;
  error: unknown;
  isPending: boolean;
  refetch: () => unknown;
}

type RowAttributes = HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string | undefined>;

function isPage<T>(data: unknown): data is Page<T> {
  return !!data && typeof data === "object" && "items" in data && "total" in data && "limit" in data;
}

/**
 * The one list: loading, the error with Retry, the empty state, the rows and, for the backend's
 * Page shape, the pagination (with `onPage`). `rows` picks the rows out of other shapes.
 */
export function DataTable<T, D = Page<T> | T[]>({
  query,
  columns,
  rowKey,
  rows,
  rowProps,
  empty,
  onPage,
  retry = true,
  testId,
}: {
  query: ListQuery<D>;
  columns: Array<Column<T> | false | null | undefined>;
  rowKey: (row: T) => string;
  rows?: (data: D) => T[];
  rowProps?: (row: T) => RowAttributes;
  empty?: ReactNode;
  onPage?: (page: number) => void;
  /** false: the error box has no Retry button */
  retry?: boolean;
  testId?: string;
}) {
  const { data, error, isPending } = query;
  const cols = columns.filter((c): c is Column<T> => !!c);
  const items: T[] = data === undefined ? [] : rows ? rows(data) : isPage<T>(data) ? data.items : (data as T[]);
  return (
    <>
      {error ? <ErrorBox error={error} onRetry={retry ? () => void query.refetch() : undefined} /> : null}
      {isPending && !error && <Loading />}
      {data !== undefined && items.length === 0 && empty}
      {items.length > 0 && (
        <>
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
          {onPage && isPage<T>(data) && <Pagination page={data.page} limit={data.limit} total={data.total} onPage={onPage} />}
        </>
      )}
    </>
  );
}
