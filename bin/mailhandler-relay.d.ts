// Types of bin/mailhandler-relay.js (plain JavaScript, so that it runs without a build), for the tests.
import type { Readable } from 'node:stream';

export interface RelayEnvelope {
  readonly sender: string | null;
  readonly recipients: readonly string[];
  readonly queueId: string | undefined;
  readonly clientAddress: string | undefined;
}

export type RelayOutcome = { readonly exitCode: number; readonly line: string; readonly fallback?: undefined } | { readonly fallback: string };

export function relayTarget(argv: readonly string[]): string | undefined;
export function relayEnvelope(argv: readonly string[]): RelayEnvelope | null;
export function exitForReply(code: number, text: string): number;
export function relayMessage(args: {
  readonly target: string;
  readonly argv: readonly string[];
  readonly message: Readable | AsyncIterable<Uint8Array>;
}): Promise<RelayOutcome>;
export function encodeChunk(chunk: Buffer, state: { lineStart: boolean; afterCr: boolean }): Buffer;
