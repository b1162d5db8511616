import QRCode from 'qrcode';
import { isoOf } from '../core/statement.js';

/**
 * A pairing code as the web app shows it: the code, the link that opens the
 * app with it filled in, and that link as a QR code for a phone's camera.
 * Device pairing and hosted accounts both answer with this.
 */
export async function offerView(offer: { code: string; url: string; expires: number }): Promise<{ code: string; url: string; expires: string; qrSvg: string }> {
  const qrSvg = await QRCode.toString(offer.url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { code: offer.code, url: offer.url, expires: isoOf(offer.expires), qrSvg };
}
