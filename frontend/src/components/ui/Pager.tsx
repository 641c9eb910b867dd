import type { PagerState } from "../../api/usePagedQuery";

/** Newer / page number / Older buttons for a list paged with `usePagedQuery`. */
export function Pager({ paged }: { paged: PagerState }) {
  return (
    <div className="row pager">
      <button type="button" disabled={!paged.hasNewer} onClick={paged.newer}>
        Newer
      </button>
      <span>Page {paged.page}</span>
      <button type="button" disabled={!paged.hasOlder} onClick={paged.older}>
        Older
      </button>
    </div>
  );
}
