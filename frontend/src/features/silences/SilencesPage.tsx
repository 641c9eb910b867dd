import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api } from "../../api/client";
import type { MatchOp, Silence, SilenceMatcher } from "../../api/types";
import { Badge } from "../../components/ui/Badge";
import { Empty, ErrorState, Loading } from "../../components/ui/States";

const OPS: MatchOp[] = ["=", "!=", "=~", "!~"];

export function matcherText(matcher: SilenceMatcher): string {
  return `${matcher.name}${matcher.op}"${matcher.value}"`;
}

function CreateSilence() {
  const client = useQueryClient();
  const [tenant, setTenant] = useState("");
  const [matchers, setMatchers] = useState<SilenceMatcher[]>([{ name: "", op: "=", value: "" }]);
  const [hours, setHours] = useState("2");
  const [startsAt, setStartsAt] = useState("");
  const [comment, setComment] = useState("");
  const [createdBy, setCreatedBy] = useState("");
  const create = useMutation({
    mutationFn: () => {
      const start = startsAt ? new Date(startsAt) : new Date();
      const end = new Date(start.getTime() + Number(hours) * 3600_000);
      return api.createSilence({
        tenant: tenant.trim(), matchers, startsAt: startsAt ? start.toISOString() : undefined, endsAt: end.toISOString(),
        comment: comment.trim(), createdBy: createdBy.trim(),
      });
    },
    onSuccess: () => {
      setMatchers([{ name: "", op: "=", value: "" }]);
      setComment("");
      return client.invalidateQueries({ queryKey: ["silences"] });
    },
  });
  const setMatcher = (index: number, change: Partial<SilenceMatcher>) =>
    setMatchers(matchers.map((matcher, i) => (i === index ? { ...matcher, ...change } : matcher)));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  return (
    <form onSubmit={submit} aria-label="New silence" className="card">
      <h2>New silence</h2>
      <div className="row">
        <label>
          Tenant
          <input required name="tenant" value={tenant} onChange={(e) => setTenant(e.target.value)} placeholder='acme, or * for all' />
        </label>
        <label>
          Starts (empty: now)
          <input name="startsAt" type="datetime-local" value={startsAt} onChange={(e) => setStartsAt(e.target.value)} />
        </label>
        <label>
          Duration (hours)
          <input required name="hours" type="number" min="0.1" max="8784" step="0.1" value={hours} onChange={(e) => setHours(e.target.value)} />
        </label>
      </div>
      {matchers.map((matcher, index) => (
        <fieldset className="row" key={index} aria-label={`Matcher ${index + 1}`}>
          <label>
            Label
            <input required value={matcher.name} onChange={(e) => setMatcher(index, { name: e.target.value })} />
          </label>
          <label>
            Operator
            <select value={matcher.op} onChange={(e) => setMatcher(index, { op: e.target.value as MatchOp })}>
              {OPS.map((op) => <option key={op}>{op}</option>)}
            </select>
          </label>
          <label>
            Value
            <input value={matcher.value} onChange={(e) => setMatcher(index, { value: e.target.value })} />
          </label>
          {matchers.length > 1 && (
            <button type="button" onClick={() => setMatchers(matchers.filter((_, i) => i !== index))}>Remove</button>
          )}
        </fieldset>
      ))}
      <div className="row">
        <button type="button" onClick={() => setMatchers([...matchers, { name: "", op: "=", value: "" }])}>Add matcher</button>
        <label>
          Comment
          <input required name="comment" value={comment} onChange={(e) => setComment(e.target.value)} />
        </label>
        <label>
          Created by
          <input required name="createdBy" value={createdBy} onChange={(e) => setCreatedBy(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>Create silence</button>
      </div>
      {create.isError && <ErrorState error={create.error} />}
    </form>
  );
}

function SilenceRow({ silence }: { silence: Silence }) {
  const client = useQueryClient();
  const expire = useMutation({
    mutationFn: () => api.expireSilence(silence.id),
    onSuccess: () => client.invalidateQueries({ queryKey: ["silences"] }),
  });
  return (
    <tr data-testid="silence-row">
      <td><Badge value={silence.status.state} /></td>
      <td>{silence.tenant}</td>
      <td>{silence.matchers.map(matcherText).join(", ")}</td>
      <td>{new Date(silence.startsAt).toLocaleString()}</td>
      <td>{new Date(silence.endsAt).toLocaleString()}</td>
      <td>{silence.comment}<div className="muted">{silence.createdBy}</div></td>
      <td>
        {silence.status.state !== "expired" && (
          <button type="button" className="danger" disabled={expire.isPending} onClick={() => expire.mutate()}>Expire</button>
        )}
        {expire.isError && <ErrorState error={expire.error} />}
      </td>
    </tr>
  );
}

export function SilencesPage() {
  const [current, setCurrent] = useState(true);
  const silences = useQuery({
    queryKey: ["silences", current],
    queryFn: () => api.silences(current, 200),
    refetchInterval: 5000,
  });
  const rows = silences.data?.items ?? [];
  return (
    <div className="page">
      <h1>Silences</h1>
      <p className="muted">Silenced alerts still correlate into incidents but cause no autonomous action.</p>
      <CreateSilence />
      <div className="row filters">
        <label>
          <input type="checkbox" name="current" checked={current} onChange={(e) => setCurrent(e.target.checked)} /> Only
          current (pending or active)
        </label>
      </div>
      {silences.isPending && <Loading what="silences" />}
      {silences.isError && <ErrorState error={silences.error} />}
      {silences.data && !rows.length && <Empty>No silences.</Empty>}
      {rows.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>State</th>
              <th>Tenant</th>
              <th>Matchers</th>
              <th>Starts</th>
              <th>Ends</th>
              <th>Comment</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((silence) => <SilenceRow key={silence.id} silence={silence} />)}
          </tbody>
        </table>
      )}
    </div>
  );
}
