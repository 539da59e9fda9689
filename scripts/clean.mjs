// `npm run build` starts from an empty dist/: a module removed from src/ must not ship.
import * as fs from "node:fs"
fs.rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true })
