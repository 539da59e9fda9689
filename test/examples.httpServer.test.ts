import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"

describe("examples", () => {
  it("http-server.ts --exit serves requests with request ids, times the database call and exposes /metrics", () => {
    const run = spawnSync("npx", ["tsx", "examples/http-server.ts", "--exit"], {
      encoding: "utf8",
      env: { ...process.env, PORT: "0" },
      timeout: 60_000
    })
    expect(run.stderr).toBe("")
    expect(run.status).toBe(0)
    const lines = run.stdout.split("\n")
    // the forked audit fiber's record carries the request id set by the middleware
    expect(lines.some((l) => l.includes(`msg="audit: user read"`) && l.includes("requestId=demo-users-2"))).toBe(true)
    expect(lines.filter((l) => l.includes("msg=request ") && l.includes("component=http")).length).toBe(5)
    // db records are at Debug, below the db component's level (Warning): none shown
    expect(run.stdout).not.toContain("select * from users")
    expect(run.stdout).toContain(`logfiber_operation_duration_seconds_count{operation="db.findUser",outcome="success"} 3`)
    expect(run.stdout).toContain(`logfiber_operation_duration_seconds_count{operation="db.findUser",outcome="failure"} 1`)
    const snapshot = JSON.parse(lines[lines.indexOf("--- Monitor.snapshot ---") + 1]!)
    expect(snapshot).toMatchObject({ name: "db.findUser", success: { count: 3 }, failure: { count: 1 } })
  })
})
