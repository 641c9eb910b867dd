/** Newer/Older buttons over a stack of cursors: the last one is the page on screen, null the first page. */
export function Pager({
  cursors,
  nextCursor,
  onChange,
}: {
  cursors: (string | null)[];
  nextCursor: string | null | undefined;
  onChange: (cursors: (string | null)[]) => void;
}) {
  return (
    <div className="row pager">
      <button type="button" disabled={cursors.length < 2} onClick={() => onChange(cursors.slice(0, -1))}>
        Newer
      </button>
      <span>Page {cursors.length}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && onChange([...cursors, nextCursor])}>
        Older
      </button>
    </div>
  );
}
