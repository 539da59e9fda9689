import * as Effect from "effect/Effect"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

export interface RunResult {
  readonly stdout: string
  readonly stderr: string
}

/**
 * The environment a user's shell would give a child: without the `npm_*` variables `npm test`
 * sets (`npm_config_*` from this repository's npm run would steer the child's npm) except the
 * cache and registry, and without NODE_OPTIONS (the programs run under plain `node`).
 */
const cleanEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    const lower = key.toLowerCase()
    if (lower === "node_options") continue
    if (lower.startsWith("npm_") && lower !== "npm_config_cache" && lower !== "npm_config_registry") continue
    env[key] = value
  }
  return env
}

/** Run a command to completion; fails with its exit code, stdout and stderr in the message. */
export const run = (command: string, args: ReadonlyArray<string>, cwd: string): Effect.Effect<RunResult, Error> =>
  Effect.async<RunResult, Error>((resume) => {
    const child = execFile(
      command,
      args,
      { cwd, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, encoding: "utf8" },
      (error, stdout, stderr) => {
        if (error === null) return resume(Effect.succeed({ stdout, stderr }))
        resume(Effect.fail(
          new Error(
            `\`${command} ${args.join(" ")}\` in ${cwd} failed (${error.message.split("\n")[0]})\n` +
              `--- stdout\n${stdout}\n--- stderr\n${stderr}`
          )
        ))
      }
    )
    return Effect.sync(() => void child.kill())
  })

export interface Project {
  readonly dir: string
}

/**
 * A fresh ESM project with the tarball and the given packages installed, as a user would
 * (`npm install`), preferring the local npm cache so the test needs the network only for
 * versions not yet cached.
 */
export const installProject = (
  dir: string,
  tarball: string,
  packages: ReadonlyArray<string>
): Effect.Effect<Project, Error> =>
  Effect.gen(function*() {
    fs.mkdirSync(dir, { recursive: true })
    fs.writeFileSync(
      path.join(dir, "package.json"),
      JSON.stringify({ name: "logfiber-user", version: "1.0.0", private: true, type: "module" }, null, 2)
    )
    yield* run("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", tarball, ...packages], dir)
    return { dir }
  })
