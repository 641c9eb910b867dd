import { useState } from "react";
import { downloadCsv } from "../../api/csv";
import { ErrorState } from "./States";

/** A button that builds a CSV (every page of a listing) and downloads it as ``filename()``; a failure is shown. */
export function ExportCsvButton({ filename, build }: { filename: () => string; build: () => Promise<string> }) {
  const [exporting, setExporting] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <button
        type="button"
        disabled={exporting}
        onClick={async () => {
          setExporting(true);
          setError(null);
          try {
            downloadCsv(filename(), await build());
          } catch (failure) {
            setError(failure);
          } finally {
            setExporting(false);
          }
        }}
      >
        {exporting ? "Exporting…" : "Export CSV (all pages)"}
      </button>
      {error !== null && <ErrorState error={error} />}
    </>
  );
}
