import { afterEach, describe, expect, it, vi } from "vitest";
import { api, ApiError, onAuthRequired, setToken } from "../api/client";

function reply(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

afterEach(() => {
  vi.restoreAllMocks();
  setToken(null);
});

describe("api client", () => {
  it("follows X-Next-Cursor across pages for the full export", async () => {
    const fetchMock = vi.spyOn(globalThis, "fetch")
      .mockResolvedValueOnce(reply(200, [{ id: "a" }], { "X-Next-Cursor": "c1" }))
      .mockResolvedValueOnce(reply(200, [{ id: "b" }]));
    const rows = await api.allIncidents({ status: "open" });
    expect(rows.map((r) => r.id)).toEqual(["a", "b"]);
    expect(String(fetchMock.mock.calls[1][0])).toContain("cursor=c1");
    expect(String(fetchMock.mock.calls[0][0])).toContain("status=open");
  });

  it("sends the session token and reports a 401 to listeners", async () => {
    setToken("s3cret");
    const fetchMock = vi.spyOn(globalThis, "fetch").mockResolvedValue(reply(401, { detail: "missing bearer token" }));
    const heard = vi.fn();
    const stop = onAuthRequired(heard);
    await expect(api.setKillSwitch(true, "test")).rejects.toBeInstanceOf(ApiError);
    stop();
    expect(heard).toHaveBeenCalledOnce();
    const headers = fetchMock.mock.calls[0][1]?.headers as Headers;
    expect(headers.get("Authorization")).toBe("Bearer s3cret");
  });

  it("names the field of each validation error", async () => {
    const detail = [
      { type: "invalid_input", loc: ["matchers", 0, "value"], msg: "invalid regex: missing )" },
      { type: "missing", loc: ["body", "reason"], msg: "Field required" },
    ];
    vi.spyOn(globalThis, "fetch").mockResolvedValue(reply(422, { detail }));
    await expect(api.incident("INC-x")).rejects.toThrow(
      "matchers[0].value: invalid regex: missing ); reason: Field required",
    );
  });

  it("turns error bodies into messages", async () => {
    vi.spyOn(globalThis, "fetch").mockResolvedValue(reply(404, { detail: "incident INC-x not found" }));
    await expect(api.incident("INC-x")).rejects.toThrow("incident INC-x not found");
  });
});
