import { forkScript } from './processes.js'

// The parent's side of bench/sink.ts: the HTTP endpoint change propagation and its baseline call.

export interface SinkReport { served: number, firstMs: number, lastMs: number }

export interface Sink { url: string, report(): Promise<SinkReport>, stop(): Promise<void> }

/** Starts bench/sink.ts in its own process. */
export async function startSink (): Promise<Sink> {
  const sink = await forkScript<{ port: number }>('./sink.ts')
  return { url: `http://127.0.0.1:${sink.first.port}`, report: async () => sink.ask<SinkReport>('report'), stop: sink.stop }
}
