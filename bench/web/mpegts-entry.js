// mpegts.js's FLV → fragmented MP4 path without a <video> element, for the benchmark.
// Bundled by build-mpegts.mjs from mpegts.js's own sources (src/), compiled to ES5 by
// TypeScript as its dist is, since the dist exports only the player.
//
// Two ways in:
// - transmux(): TransmuxingController, what mpegts.js's player runs (enableWorker:
//   false), with its IOController and default stash buffer; our loader hands it the
//   file as 64 KiB ArrayBuffers, as its fetch loader hands over network chunks. Only
//   the MSE part of the player is left out.
// - bare(): FLVDemuxer.parseChunks + MP4Remuxer alone, unconsumed bytes carried over
//   to the next chunk (what IOController does with its stash buffer off).
import TransmuxingController from 'mpegts.js/src/core/transmuxing-controller.js';
import TransmuxingEvents from 'mpegts.js/src/core/transmuxing-events';
import FLVDemuxer from 'mpegts.js/src/demux/flv-demuxer.js';
import MP4Remuxer from 'mpegts.js/src/remux/mp4-remuxer.js';
import { BaseLoader, LoaderStatus } from 'mpegts.js/src/io/loader.js';
import { createDefaultConfig } from 'mpegts.js/src/config.js';
import LoggingControl from 'mpegts.js/src/utils/logging-control.js';

// Ours logs nothing either; mpegts.js would write a few lines per file to the console.
LoggingControl.enableAll = false;

let feed = null; // the chunks the next MemoryLoader hands out

class MemoryLoader extends BaseLoader {
  constructor() {
    super('bench-memory-loader');
    this._needStash = true; // as its FetchStreamLoader: IOController keeps its stash buffer on
  }
  open() {
    this._status = LoaderStatus.kBuffering;
    const chunks = feed;
    Promise.resolve().then(() => {
      let total = 0;
      for (const c of chunks) total += c.byteLength;
      this._onContentLengthKnown?.(total);
      let received = 0;
      for (const c of chunks) {
        if (this._status !== LoaderStatus.kBuffering) return;
        const start = received;
        received += c.byteLength;
        this._onDataArrival(c, start, received);
      }
      this._status = LoaderStatus.kComplete;
      this._onComplete?.(0, received - 1);
    });
  }
  abort() {
    this._status = LoaderStatus.kComplete;
  }
}

/** `chunks`: ArrayBuffers. Resolves to {bytes, segments} of fragmented MP4 produced. */
export function transmux(chunks) {
  return new Promise((resolve, reject) => {
    feed = chunks;
    const config = Object.assign(createDefaultConfig(), { enableWorker: false, customLoader: MemoryLoader });
    const ctl = new TransmuxingController({ type: 'flv', url: 'memory:', isLive: false }, config);
    let bytes = 0, segments = 0;
    const count = (_type, seg) => { bytes += seg.data.byteLength; segments += 1; };
    ctl.on(TransmuxingEvents.INIT_SEGMENT, count);
    ctl.on(TransmuxingEvents.MEDIA_SEGMENT, count);
    const fail = (what) => (type, info) => { ctl.destroy(); reject(new Error(`mpegts.js ${what}: ${type} ${JSON.stringify(info)}`)); };
    ctl.on(TransmuxingEvents.IO_ERROR, fail('I/O error'));
    ctl.on(TransmuxingEvents.DEMUX_ERROR, fail('demux error'));
    ctl.on(TransmuxingEvents.LOADING_COMPLETE, () => {
      Promise.resolve().then(() => ctl.destroy());
      resolve({ bytes, segments });
    });
    ctl.start();
  });
}

/** `chunks`: ArrayBuffers. Returns {bytes, segments} of fragmented MP4 produced. */
export function bare(chunks) {
  const config = Object.assign(createDefaultConfig(), { enableWorker: false });
  let bytes = 0, segments = 0, error = null;
  const count = (_type, seg) => { bytes += seg.data.byteLength; segments += 1; };
  const probe = FLVDemuxer.probe(chunks[0]);
  if (!probe.match) throw new Error('mpegts.js: not an FLV');
  const demuxer = new FLVDemuxer(probe, config);
  const remuxer = new MP4Remuxer(config);
  demuxer.onError = (type, info) => { error = new Error(`mpegts.js demux error: ${type} ${info}`); };
  demuxer.onMediaInfo = () => {};
  demuxer.onMetaDataArrived = () => {};
  demuxer.onScriptDataArrived = () => {};
  demuxer.onSeiArrived = () => {};
  remuxer.bindDataSource(demuxer);
  remuxer.onInitSegment = count;
  remuxer.onMediaSegment = count;

  let rest = null; // unconsumed bytes, and their file offset
  let restStart = 0, offset = 0;
  for (const c of chunks) {
    let buf = c, start = offset;
    if (rest) {
      const merged = new Uint8Array(rest.byteLength + c.byteLength);
      merged.set(rest, 0);
      merged.set(new Uint8Array(c), rest.byteLength);
      buf = merged.buffer;
      start = restStart;
    }
    offset += c.byteLength;
    const consumed = demuxer.parseChunks(buf, start);
    if (error) throw error;
    rest = consumed < buf.byteLength ? new Uint8Array(buf, consumed) : null;
    restStart = start + consumed;
  }
  remuxer.flushStashedSamples();
  demuxer.destroy();
  remuxer.destroy();
  return { bytes, segments };
}
