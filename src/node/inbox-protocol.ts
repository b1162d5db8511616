import { randomBytes } from 'node:crypto';
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { KithError, fail, isPeerFault, type ErrorCode } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import { INBOX } from '../core/constants.js';
import { claimMessage, maxDeliveryBytes, type HeldEnvelope } from '../core/inbox-seal.js';
import { parseDid, publicKeyFromDid } from '../core/didkey.js';
import { verify } from '../core/ed25519.js';
import { isJsonObject, type Did, type Json, type JsonObject } from '../core/types.js';
import type { KithHost } from '../net/host.js';
import { frameStream, type FrameStream } from '../net/frames.js';
import type { KithNode } from './kith-node.js';
import { InboxIntake, WindowCounter } from './inbox-intake.js';
import type { PeerDiscipline } from './peer-discipline.js';
import { short } from './network-log.js';

/**
 * /kith/inbox/1.0.0: requests as JSON frames, each answered with
 * `{ok: true, status}` or `{ok: false, code, message}`. Deliveries and holds
 * may follow one another on one stream (up to INBOX.REQUESTS_PER_STREAM, so a
 * busy sender pays for a stream once); a claim or an offer ends it.
 * - `{t: "deliver", to, activity, carried?}`: a signed activity for the
 *   person `to`, with what it carries to be checked by (its sender's actor,
 *   the certificates of a device key; core/carried-documents.ts); their node
 *   takes it in (see InboxIntake.receive), any other node says `not-found`
 *   (it is not theirs).
 * - `{t: "hold", envelope}`: a delivery sealed to a person whose scope this
 *   node keeps, held until their node claims it (InboxIntake.hold).
 * - `{t: "claim", did}`: "anything held for me?" from a node that says it is
 *   `did`'s; the holder sends `{nonce}`, the claimant `{sig}` (the owner's
 *   signature of claimMessage, which names both peers of this connection),
 *   then the holder hands over what it holds (one `{n, envelope}` frame each,
 *   then `{end, more}`), the claimant answers `{taken: [n…]}` and the holder
 *   drops those.
 * - `{t: "offer", did, nonce}`: the same hand-over started by the holder
 *   when the recipient's node connects: the recipient answers `{sig}`.
 * Frames are capped (INBOX.MAX_FRAME_BYTES, or what the object limit needs), each waits at most
 * INBOX.FRAME_TIMEOUT_MS, and each peer has a request rate.
 */

export const INBOX_PROTOCOL = '/kith/inbox/1.0.0';

type Answer = { ok: true; status: string } | { ok: false; code: ErrorCode; message: string };

/** What a hand-over brought: taken in, already here, refused. */
export interface HandOver {
  readonly stored: number;
  readonly duplicates: number;
  readonly refused: number;
}

/** A delivery attempt's answer from one peer. */
export type PeerAnswer = Answer;

function refusal(e: unknown): Answer {
  if (e instanceof KithError) return { ok: false, code: e.code, message: e.message };
  return { ok: false, code: 'internal', message: 'the node failed inside Kith while taking this in' };
}

const encode = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v), 'utf8');

/** Room in a frame beside the sealed object: the envelope's other fields, the request around it. */
const FRAME_OVERHEAD_BYTES = 4096;

export class InboxProtocol {
  private readonly byPeer = new WindowCounter(60_000, INBOX.MAX_COUNTED);
  /** INBOX.MAX_FRAME_BYTES, or more when the operator lets objects be larger (a sealed one travels as base64). */
  private readonly maxFrame: number;

  constructor(
    private readonly node: KithNode,
    private readonly host: KithHost,
    private readonly log: Logger,
    readonly intake: InboxIntake,
    private readonly discipline: PeerDiscipline,
  ) {
    this.maxFrame = Math.max(INBOX.MAX_FRAME_BYTES, Math.ceil(((maxDeliveryBytes(node.ingestor.limits) + 16) * 4) / 3) + FRAME_OVERHEAD_BYTES);
  }

  async start(): Promise<void> {
    await this.host.handle(INBOX_PROTOCOL, (stream, connection) => this.serve(stream, connection));
  }

  // ---- the serving side ----

  private async serve(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer;
    const frames = frameStream(stream);
    try {
      for (let n = 0; n < INBOX.REQUESTS_PER_STREAM; n++) {
        let req: JsonObject | null;
        try {
          req = await this.readRequest(frames);
        } catch (e) {
          // Framing trouble (an oversize frame, a bad prefix): say why, then hold the peer to account.
          await this.send(frames, refusal(e)).catch((err: unknown) => this.log.debug(`answering ${short(peer.toString())} failed: ${reasonOf(err)}`));
          await frames.close().catch((err: unknown) => this.log.debug(`closing an inbox stream failed: ${reasonOf(err)}`));
          this.fault(peer, frames, e);
          return;
        }
        if (req === null) break;
        if (this.byPeer.add(peer.toString()) > INBOX.PER_PEER_PER_MINUTE) {
          await this.send(frames, {
            ok: false,
            code: 'rate-limited',
            message: `more than ${INBOX.PER_PEER_PER_MINUTE} inbox requests a minute; try again later`,
          });
          break;
        }
        if (req.t === 'deliver') await this.answerDeliver(frames, req, peer);
        else if (req.t === 'hold') await this.answerHold(frames, req, peer);
        else if (req.t === 'claim') {
          await this.keep(frames, parseDid(req.did), peer, true);
          break;
        } else if (req.t === 'offer') {
          await this.claim(frames, req, peer);
          break;
        } else fail('malformed', `an inbox request is deliver, hold, claim or offer, not ${JSON.stringify(req.t)?.slice(0, 20)}`);
      }
      await frames.close();
    } catch (e) {
      await this.send(frames, refusal(e)).catch((err: unknown) => this.log.debug(`answering ${short(peer.toString())} failed: ${reasonOf(err)}`));
      this.fault(peer, frames, e);
    }
  }

  /** The next request on a stream, or null when the peer ended it cleanly between requests. */
  private async readRequest(frames: FrameStream): Promise<JsonObject | null> {
    const body = await frames.readFrame(this.maxFrame, INBOX.FRAME_TIMEOUT_MS);
    return body === null ? null : parseFrame(body);
  }

  /** A broken or forged request costs the peer (PeerDiscipline); anything else (a lost stream, a refusal) only ends the stream. */
  private fault(peer: PeerId, frames: FrameStream, e: unknown): void {
    if (isPeerFault(e)) {
      this.discipline.blame(peer, e, () => frames.reset('protocol violation'));
      return;
    }
    frames.reset('inbox request failed');
    this.log.info(`inbox: a request of ${short(peer.toString())} ended: ${reasonOf(e)}`);
  }

  private async answerDeliver(frames: FrameStream, req: JsonObject, peer: PeerId): Promise<void> {
    const to = parseDid(req.to);
    if (!this.node.answersFor(to)) {
      await this.send(frames, { ok: false, code: 'not-found', message: `this is not ${to}'s node` });
      return;
    }
    if (!isJsonObject(req.activity)) fail('malformed', 'a delivery carries one signed activity');
    let answer: Answer;
    try {
      const r = await this.intake.take(req.activity, { carried: req.carried });
      answer = { ok: true, status: r.status };
      if (r.status === 'stored') this.log.info(`inbox: ${r.type} ${r.id} from ${short(r.owner)} by ${short(peer.toString())}`);
    } catch (e) {
      answer = refusal(e);
      this.log.info(`inbox: refused a delivery from ${short(peer.toString())}: ${reasonOf(e)}`);
      // A forged or broken activity is the doing of whoever handed it over; the rest (blocked, rate) are answered only.
      if (isPeerFault(e)) {
        await this.send(frames, answer);
        await frames.close().catch((err: unknown) => this.log.debug(`closing an inbox stream failed: ${reasonOf(err)}`));
        this.discipline.blame(peer, e);
        return;
      }
    }
    await this.send(frames, answer);
  }

  private async answerHold(frames: FrameStream, req: JsonObject, peer: PeerId): Promise<void> {
    let answer: Answer;
    try {
      answer = { ok: true, status: this.intake.hold(req.envelope as Json) };
      if (answer.status === 'held')
        this.log.info(`inbox: holding a sealed delivery for ${short(String((req.envelope as JsonObject).recipient))} from ${short(peer.toString())}`);
    } catch (e) {
      answer = refusal(e);
      this.log.info(`inbox: refused to hold a delivery from ${short(peer.toString())}: ${reasonOf(e)}`);
    }
    await this.send(frames, answer);
  }

  // ---- hand-over of held deliveries ----

  /** The holder's side: challenge the claimant (first, when `challenge`), check its proof, hand over, drop what it took. */
  private async keep(frames: FrameStream, did: Did, claimant: PeerId, challenge: boolean, nonce?: string): Promise<number> {
    let n = nonce;
    if (challenge) {
      n = randomBytes(32).toString('base64');
      await this.send(frames, { nonce: n });
    }
    const proof = await this.readJson(frames);
    if (proof.ok === false) return 0;
    const sig = typeof proof.sig === 'string' ? Buffer.from(proof.sig, 'base64') : new Uint8Array(0);
    if (!verify(publicKeyFromDid(did), claimMessage(did, this.host.peerId.toString(), claimant.toString(), n!), sig)) {
      await this.send(frames, { ok: false, code: 'unauthenticated', message: `the claim is not signed by ${did}, so nothing held for them is handed over` });
      return 0;
    }
    const rows = this.node.store.held.for(did, INBOX.HANDOVER_BATCH);
    for (const r of rows) await frames.writeFrame(encode({ n: r.n, envelope: JSON.parse(r.envelope) as HeldEnvelope }));
    await this.send(frames, { end: true, more: rows.length === INBOX.HANDOVER_BATCH });
    const ack = await this.readJson(frames);
    const offered = new Set(rows.map((r) => r.n));
    const taken = Array.isArray(ack.taken) ? ack.taken.filter((x): x is number => typeof x === 'number' && offered.has(x)) : [];
    const removed = this.node.store.held.remove(did, taken);
    await this.send(frames, { ok: true, status: 'handed-over' });
    if (removed > 0) this.log.info(`inbox: handed ${removed} held delivery(ies) to ${short(did)}'s node ${short(claimant.toString())}`);
    return removed;
  }

  /** The recipient's side of an offer from a holder. */
  private async claim(frames: FrameStream, req: JsonObject, keeper: PeerId): Promise<void> {
    const did = parseDid(req.did);
    if (did !== this.node.did) {
      await this.send(frames, { ok: false, code: 'not-addressed', message: `this is not ${did}'s node` });
      return;
    }
    if (typeof req.nonce !== 'string' || req.nonce.length > 64) fail('malformed', 'an offer carries the nonce to sign');
    await this.prove(frames, keeper, req.nonce);
    await this.takeOver(frames, keeper);
  }

  private async prove(frames: FrameStream, keeper: PeerId, nonce: string): Promise<void> {
    const sig = this.node.signBytes(claimMessage(this.node.did, keeper.toString(), this.host.peerId.toString(), nonce));
    await this.send(frames, { sig: Buffer.from(sig).toString('base64') });
  }

  /** Reads what a holder hands over, takes each in, and says which it may drop. */
  private async takeOver(frames: FrameStream, keeper: PeerId): Promise<HandOver & { more: boolean }> {
    const taken: number[] = [];
    let stored = 0;
    let duplicates = 0;
    let refused = 0;
    for (let i = 0; ; i++) {
      const item = await this.readJson(frames);
      if (item.ok === false) fail(item.code as ErrorCode, `the holder refused: ${String(item.message)}`);
      if (item.end === true) {
        await this.send(frames, { taken });
        await this.readJson(frames);
        if (stored > 0 || refused > 0) {
          this.log.info(`inbox: ${stored} held delivery(ies) taken in from ${short(keeper.toString())}${refused > 0 ? `, ${refused} refused` : ''}`);
        }
        return { stored, duplicates, refused, more: item.more === true };
      }
      if (i >= INBOX.HANDOVER_BATCH || typeof item.n !== 'number') fail('malformed', 'a hand-over is at most a batch of numbered deliveries');
      try {
        const r = await this.intake.openHeld(item.envelope as Json);
        if (r.status === 'stored') stored++;
        else duplicates++;
        taken.push(item.n);
      } catch (e) {
        // Ours to fix (a full disk): left with the holder for the next claim. Anything else will never be taken in: let it go.
        if (e instanceof KithError && (e.code === 'storage-full' || e.code === 'internal' || e.code === 'io')) {
          this.log.warn(`inbox: could not take in a held delivery from ${short(keeper.toString())}; it stays there: ${e.message}`);
          continue;
        }
        refused++;
        taken.push(item.n);
        this.log.info(`inbox: refused a held delivery from ${short(keeper.toString())}: ${reasonOf(e)}`);
      }
    }
  }

  // ---- the asking side ----

  private async open(peer: PeerId): Promise<FrameStream> {
    return frameStream(await this.host.dialProtocol(peer, INBOX_PROTOCOL, { signal: AbortSignal.timeout(INBOX.DIAL_TIMEOUT_MS) }));
  }

  /** Sends one request and reads its answer; a peer that cannot be reached throws (io, timeout). */
  private async ask(peer: PeerId, req: JsonObject): Promise<Answer> {
    const frames = await this.open(peer);
    try {
      await this.send(frames, req);
      const a = await this.readJson(frames);
      await frames.close().catch((e: unknown) => this.log.debug(`closing an inbox stream failed: ${reasonOf(e)}`));
      if (a.ok === true && typeof a.status === 'string') return { ok: true, status: a.status };
      if (a.ok === false && typeof a.code === 'string') return { ok: false, code: a.code as ErrorCode, message: String(a.message).slice(0, 500) };
      return fail('malformed', 'the peer answered an inbox request with something else than an answer');
    } catch (e) {
      frames.reset('inbox request failed');
      throw e;
    }
  }

  /** Delivers a signed activity (with what it carries, if anything) to `to`'s node at `peer`. */
  deliver(peer: PeerId, to: Did, activity: JsonObject, carried: readonly JsonObject[] = []): Promise<Answer> {
    return this.ask(peer, { t: 'deliver', to, activity, ...(carried.length > 0 ? { carried: [...carried] } : {}) });
  }

  /** Leaves a sealed delivery with a peer that keeps the recipient's scope. */
  hold(peer: PeerId, envelope: HeldEnvelope): Promise<Answer> {
    return this.ask(peer, { t: 'hold', envelope: envelope as unknown as JsonObject });
  }

  /** Asks a peer for whatever it holds for this node's owner, batch after batch. */
  async claimFrom(peer: PeerId): Promise<HandOver> {
    const total = { stored: 0, duplicates: 0, refused: 0 };
    for (let round = 0; round < INBOX.HELD_PER_RECIPIENT / INBOX.HANDOVER_BATCH + 1; round++) {
      const frames = await this.open(peer);
      try {
        await this.send(frames, { t: 'claim', did: this.node.did });
        const first = await this.readJson(frames);
        if (first.ok === false) fail(first.code as ErrorCode, String(first.message));
        if (typeof first.nonce !== 'string' || first.nonce.length > 64) fail('malformed', 'a holder answers a claim with a nonce to sign');
        await this.prove(frames, peer, first.nonce);
        const r = await this.takeOver(frames, peer);
        await frames.close().catch((e: unknown) => this.log.debug(`closing an inbox stream failed: ${reasonOf(e)}`));
        total.stored += r.stored;
        total.duplicates += r.duplicates;
        total.refused += r.refused;
        if (!r.more) break;
      } catch (e) {
        frames.reset('claim failed');
        throw e;
      }
    }
    return total;
  }

  /** Offers a recipient's node what this node holds for them; it must prove it is theirs. Returns how many it took. */
  async offerTo(peer: PeerId, did: Did): Promise<number> {
    const frames = await this.open(peer);
    try {
      const nonce = randomBytes(32).toString('base64');
      await this.send(frames, { t: 'offer', did, nonce });
      const removed = await this.keep(frames, did, peer, false, nonce);
      await frames.close().catch((e: unknown) => this.log.debug(`closing an inbox stream failed: ${reasonOf(e)}`));
      return removed;
    } catch (e) {
      frames.reset('offer failed');
      throw e;
    }
  }

  // ---- frames ----

  private async send(frames: FrameStream, v: unknown): Promise<void> {
    await frames.writeFrame(encode(v));
  }

  private async readJson(frames: FrameStream): Promise<JsonObject> {
    const body = await frames.readFrame(this.maxFrame, INBOX.FRAME_TIMEOUT_MS);
    if (body === null) fail('io', 'the peer closed the inbox stream early');
    return parseFrame(body);
  }
}

function parseFrame(body: Uint8Array): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(body).toString('utf8'));
  } catch (e) {
    return fail('malformed', `an inbox frame is one JSON object (${reasonOf(e)})`);
  }
  if (!isJsonObject(v as Json)) fail('malformed', 'an inbox frame is one JSON object');
  return v as JsonObject;
}
