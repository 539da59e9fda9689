/** The `logfiber` command (see `Reader`). */
import { main } from "./Reader.js"

await main(process.argv.slice(2))
