// The few parts of autocannon's API the runner uses (the package ships no types).
declare module "autocannon" {
  import type { EventEmitter } from "node:events"
  namespace autocannon {
    interface Options {
      readonly url: string
      readonly connections?: number
      readonly amount?: number
      readonly duration?: number
      readonly sampleInt?: number
    }
    interface Result {
      readonly errors: number
      readonly non2xx: number
      readonly duration: number
      readonly latency: { readonly p50: number; readonly p99: number }
    }
    interface Instance extends EventEmitter {}
  }
  function autocannon(options: autocannon.Options): autocannon.Instance
  export default autocannon
}
