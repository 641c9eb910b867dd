import type { ReactNode } from "react";

export function Loading({ what }: { what: string }) {
  return <p className="state" role="status">Loading {what}…</p>;
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="state empty">{children}</p>;
}

export function ErrorState({ error }: { error: unknown }) {
  const message = error instanceof Error ? error.message : "unknown error";
  return <p className="state error" role="alert">Could not load: {message}</p>;
}
