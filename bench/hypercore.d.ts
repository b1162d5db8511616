// Hypercore ships no types: the little of it the compare bench uses, typed here.
declare module 'hypercore' {
  import type { Duplex } from 'node:stream';

  export default class Hypercore {
    constructor(storage: string, key?: Buffer);
    readonly key: Buffer | null;
    readonly length: number;
    readonly byteLength: number;
    readonly contiguousLength: number;
    ready(): Promise<void>;
    close(): Promise<void>;
    append(blocks: Buffer | Buffer[]): Promise<{ length: number; byteLength: number }>;
    replicate(isInitiator: boolean): Duplex;
    findingPeers(): () => void;
    update(opts?: { wait?: boolean }): Promise<boolean>;
    download(range: { start: number; end: number }): { done(): Promise<void> };
  }
}
