import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api } from "../../api/client";

/** Header control: shows the switch state and who/when/why; changing it asks for a reason. */
export function KillSwitchControl() {
  const client = useQueryClient();
  const status = useQuery({ queryKey: ["kill-switch"], queryFn: api.killSwitch, refetchInterval: 5000 });
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const change = useMutation({
    mutationFn: (active: boolean) => api.setKillSwitch(active, reason.trim()),
    onSuccess: (state) => {
      client.setQueryData(["kill-switch"], state);
      setOpen(false);
      setReason("");
    },
  });
  const active = status.data?.active ?? false;
  return (
    <div className="kill-switch">
      <button
        type="button"
        className={active ? "danger" : "secondary"}
        aria-pressed={active}
        onClick={() => setOpen(true)}
        disabled={!status.data}
      >
        Kill switch: {active ? "ON" : "off"}
      </button>
      {status.data?.changed_at && (
        <span className="muted" data-testid="kill-switch-info">
          {active ? "activated" : "released"} by {status.data.changed_by} at{" "}
          {new Date(status.data.changed_at).toLocaleString()}: {status.data.reason}
        </span>
      )}
      {open && (
        <div role="dialog" aria-modal="true" aria-labelledby="ks-title" className="dialog">
          <form
            onSubmit={(event) => {
              event.preventDefault();
              change.mutate(!active);
            }}
          >
            <h2 id="ks-title">{active ? "Release the kill switch" : "Stop all autonomous actions"}</h2>
            <label>
              Reason (recorded in the audit log)
              <input autoFocus required value={reason} onChange={(e) => setReason(e.target.value)} name="reason" />
            </label>
            {change.error && <p className="error">{(change.error as Error).message}</p>}
            <div className="row">
              <button type="submit" className={active ? "primary" : "danger"} disabled={!reason.trim()}>
                {active ? "Release" : "Activate"}
              </button>
              <button type="button" onClick={() => setOpen(false)}>Cancel</button>
            </div>
          </form>
        </div>
      )}
    </div>
  );
}
