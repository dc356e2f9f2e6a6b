/** The benchmarks' input: the two real 2015 GH Archive hours, replayed with ids unique per round. */
import { join } from "node:path";
import { fingerprintOf, isRejection, normalizeEvent, type EventDraft } from "../src/domain/event.js";
import { githubDefaultRules, weightOf } from "../src/domain/scoring.js";
import { readArchive } from "../src/sources/github/archive.js";
import { fromGitHubEvent } from "../src/sources/github/mapping.js";
import type { StoredEvent } from "../src/store/port.js";

const DATA = join(import.meta.dirname, "../../shared/data/github-events");

export async function loadDrafts(rounds: number): Promise<EventDraft[]> {
  const base: EventDraft[] = [];
  for (const file of ["2015-01-01-0.json.gz", "2015-01-01-1.json.gz"]) {
    for await (const line of readArchive(join(DATA, file)))
      if (line.kind === "event") base.push(fromGitHubEvent(line.event));
  }
  const drafts: EventDraft[] = [];
  for (let round = 0; round < rounds; round++)
    for (const d of base) drafts.push({ ...d, id: `${d.id}-r${round}` });
  return drafts;
}

export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The drafts as the ingest service hands them on: normalized, scored, fingerprinted. */
export function storeReady(drafts: readonly EventDraft[]): StoredEvent[] {
  const rules = githubDefaultRules();
  return drafts.map((draft) => {
    const event = normalizeEvent(draft, {
      maxPayloadBytes: 65_536,
      latestOccurredAtMs: Date.now() + 86_400_000,
    });
    if (isRejection(event)) throw new Error(event.reason);
    return { ...event, points: weightOf(rules, event.type), fingerprint: fingerprintOf(event), ranked: true };
  });
}

/** Quantiles of latencies in ms. */
export function quantiles(samples: readonly number[]): { p50: number; p95: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}
