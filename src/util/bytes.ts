// Byte helpers. TypeScript 5.9 types Uint8Array over ArrayBufferLike, while WebCrypto/pkijs signatures want
// ArrayBuffer-backed views; our bytes never live in SharedArrayBuffers, so the cast is sound.
export const bufferSource = (u: Uint8Array): Uint8Array<ArrayBuffer> => u as Uint8Array<ArrayBuffer>;

export const toHex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('hex');
