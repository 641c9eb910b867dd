// One paged list behind cursors: the Alerts and Incidents pages both page newest-first lists this way.
import { keepPreviousData, useQuery, type UseQueryResult } from "@tanstack/react-query";
import { useState } from "react";

/** Where a paged list is, and how to move: what a pager shows. */
export interface PagerState {
  /** 1 for the newest page. */
  page: number;
  hasNewer: boolean;
  hasOlder: boolean;
  newer: () => void;
  older: () => void;
}

export interface PagedQuery<P> extends PagerState {
  query: UseQueryResult<P>;
}

/**
 * Fetches the page of `filters` at the current cursor and refetches it every 5 s; `older` follows the page's
 * next cursor (`nextOf`), `newer` goes back one page. The cursor stack belongs to one set of filters (`key`):
 * new filters (a form, a link, back/forward) start again at the newest page.
 */
export function usePagedQuery<F, P>(
  name: string,
  filters: F,
  key: string,
  fetchPage: (filters: F, cursor: string | null) => Promise<P>,
  nextOf: (page: P) => string | null,
): PagedQuery<P> {
  const [paging, setPaging] = useState<{ key: string; cursors: (string | null)[] }>({ key, cursors: [null] });
  if (paging.key !== key) setPaging({ key, cursors: [null] }); // React re-renders at once with the reset stack
  const cursors = paging.key === key ? paging.cursors : [null];
  const cursor = cursors[cursors.length - 1];
  const query = useQuery({
    queryKey: [name, filters, cursor],
    queryFn: () => fetchPage(filters, cursor),
    refetchInterval: 5000,
    placeholderData: keepPreviousData,
  });
  const next = query.data ? nextOf(query.data) : null;
  return {
    query,
    page: cursors.length,
    hasNewer: cursors.length > 1,
    hasOlder: Boolean(next),
    newer: () => setPaging({ key, cursors: cursors.slice(0, -1) }),
    older: () => {
      if (next) setPaging({ key, cursors: [...cursors, next] });
    },
  };
}
