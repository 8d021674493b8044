// Binary frames of the duplex protocol (docs/protocol.md): a 16-byte
// little-endian header (kind u8, flags u8, reserved u16, seq u32, timestamp_us u64)
// followed by the payload.

export const HEADER_BYTES = 16;
export const Kind = Object.freeze({ LEARNER_AUDIO: 1, TUTOR_AUDIO: 2, PING: 3, PONG: 4 });

export function encodeFrame(kind, seq, timestampUs, payload) {
  const bytes = payload ? payload.byteLength : 0;
  const buffer = new ArrayBuffer(HEADER_BYTES + bytes);
  const view = new DataView(buffer);
  view.setUint8(0, kind);
  view.setUint8(1, 0);
  view.setUint16(2, 0, true);
  view.setUint32(4, seq >>> 0, true);
  view.setBigUint64(8, BigInt(timestampUs), true);
  if (bytes) {
    const source = payload instanceof ArrayBuffer ? payload : payload.buffer.slice(payload.byteOffset, payload.byteOffset + bytes);
    new Uint8Array(buffer, HEADER_BYTES).set(new Uint8Array(source));
  }
  return buffer;
}

export function decodeFrame(buffer) {
  if (buffer.byteLength < HEADER_BYTES) throw new Error(`frame shorter than ${HEADER_BYTES} bytes`);
  const view = new DataView(buffer);
  return {
    kind: view.getUint8(0),
    flags: view.getUint8(1),
    seq: view.getUint32(4, true),
    timestampUs: Number(view.getBigUint64(8, true)),
    payload: buffer.slice(HEADER_BYTES),
  };
}
