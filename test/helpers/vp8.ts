/**
 * Decoding VP8 frames tapped at the SFU with a browser's own decoder (WebCodecs), to show that
 * decrypted frames are the sender's picture and frames as forwarded are not.
 */
import type { Page } from 'playwright-core';

export type Decoded = { decoded: number; errors: number; width: number; height: number; pictures: Map<number, number[]> };

/**
 * Decodes VP8 frames (from a key frame on) with the browser's own decoder (WebCodecs). Each
 * picture is kept as a 16x12 grey thumbnail, by timestamp, so two decodings can be compared.
 */
export function decodeVp8(page: Page, frames: Uint8Array[]): Promise<Decoded> {
  return page
    .evaluate(
      async (list) => {
        let errors = 0;
        let width = 0;
        let height = 0;
        const pictures: [number, number[]][] = [];
        const canvas = new OffscreenCanvas(16, 12);
        const context = canvas.getContext('2d', { willReadFrequently: true })!;
        const decoder = new VideoDecoder({
          output: (f) => {
            width = f.codedWidth;
            height = f.codedHeight;
            context.drawImage(f, 0, 0, 16, 12);
            const rgba = context.getImageData(0, 0, 16, 12).data;
            const grey: number[] = [];
            for (let i = 0; i < rgba.length; i += 4) grey.push(Math.round((rgba[i]! + rgba[i + 1]! + rgba[i + 2]!) / 3));
            pictures.push([f.timestamp, grey]);
            f.close();
          },
          error: () => {
            errors++;
          },
        });
        decoder.configure({ codec: 'vp8' });
        let i = 0;
        for (const bytes of list) {
          const data = new Uint8Array(bytes);
          try {
            decoder.decode(new EncodedVideoChunk({ type: (data[0]! & 1) === 0 ? 'key' : 'delta', timestamp: i++ * 33_333, data }));
          } catch {
            errors++;
            break;
          }
        }
        try {
          await decoder.flush();
        } catch {
          errors++;
        }
        return { decoded: pictures.length, errors, width, height, pictures };
      },
      frames.map((f) => Array.from(f)),
    )
    .then((r) => ({ ...r, pictures: new Map(r.pictures) }));
}

/**
 * How many pictures of `raw` look like the picture at the same timestamp in `clear`: mean absolute
 * difference of the thumbnails under 10 grey levels. Ciphertext fed to a VP8 decoder either fails or
 * yields noise, never the sender's picture.
 */
export function lookAlike(raw: Decoded, clear: Decoded): number {
  let alike = 0;
  for (const [timestamp, picture] of raw.pictures) {
    const reference = clear.pictures.get(timestamp);
    if (!reference) continue;
    const mad = picture.reduce((sum, v, i) => sum + Math.abs(v - reference[i]!), 0) / picture.length;
    if (mad < 10) alike++;
  }
  return alike;
}
