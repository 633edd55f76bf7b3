// The test oracle of tests/iam_oracle.rs: AWS policy evaluation as
// @cloud-copilot/iam-simulate (AGPL-3.0, a test tool run as a separate
// process, never linked or shipped) does it, in its Strict mode.
//
// Reads JSON lines `{"id": ..., "simulation": {...}}` (the library's
// `Simulation`) on standard input; writes one line per request, in order:
// `{"id": ..., "result": "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied"}`
// or `{"id": ..., "error": "..."}` when the library refuses the request.
import { createInterface } from 'node:readline'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of lines) {
  if (line.trim() === '') continue
  const { id, simulation } = JSON.parse(line)
  let out
  try {
    const r = await runSimulation(simulation, { simulationMode: 'Strict' })
    out = r.resultType === 'error'
      ? { id, error: JSON.stringify(r.errors) }
      : { id, result: r.overallResult }
  } catch (e) {
    out = { id, error: String(e) }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}
