// Ties the Decree 30 appearance builders to a concrete page of a concrete file: page geometry and origin,
// and, for the agency seal, the competent person's signature widget that the seal must overlap.
import { KysoError } from '../../errors.ts';
import type { PdfReader, PageInfo } from '../../pdf/reader.ts';
import { buildAppearance } from './appearance/appearance.ts';
import { toDisplayedRect } from './appearance/geometry.ts';
import type { AppearanceSpec, PageGeometry, XYWH } from './appearance/types.ts';
import type { AppearanceBuilder } from './pades.ts';
import { listSignatureFields } from './signature-field.ts';

function geometry(page: PageInfo): PageGeometry {
  const [x1, y1, x2, y2] = page.cropBox;
  return { width: x2 - x1, height: y2 - y1, rotate: page.rotate };
}

/**
 * The rectangle (displayed coordinates) of the most recent visible signature widget on the page: the
 * competent person's signature that an agency seal is placed against.
 */
export function lastSignerRect(reader: PdfReader, page: PageInfo): XYWH | undefined {
  const [ox, oy] = page.cropBox;
  const onPage = listSignatureFields(reader).filter(
    (f) => f.signed && f.rect && f.rect[2] - f.rect[0] > 1 && f.rect[3] - f.rect[1] > 1 && (!f.pageRef || f.pageRef.num === page.ref.num),
  );
  const last = onPage[onPage.length - 1];
  if (!last?.rect) return undefined;
  const r = last.rect;
  return toDisplayedRect([r[0] - ox, r[1] - oy, r[2] - ox, r[3] - oy], geometry(page));
}

/** Turns an appearance spec into the builder the PAdES signer calls while preparing the update. */
export function appearanceBuilder(spec: AppearanceSpec): AppearanceBuilder {
  return (sink, page, reader, target) => {
    let s = spec;
    if (target) {
      // An existing field's box, in page space: the image is fitted into it (a stamp makes its own field).
      if (s.kind === 'stamp') {
        throw new KysoError('INVALID_ARGUMENT', 'Dấu văn bản luôn ở góc trên bên phải trang 1; không ký vào trường có sẵn', 'The text stamp always goes top-right of page 1; it cannot fill an existing field');
      }
      const [ox, oy] = page.cropBox;
      const displayed = toDisplayedRect([target[0] - ox, target[1] - oy, target[2] - ox, target[3] - oy], geometry(page));
      // The form must fill the field's box exactly (a viewer stretches the appearance to the widget's /Rect), so
      // the image is fitted and centred inside the whole box: the explicit-rect image path does exactly that.
      if (s.kind === 'signer' || s.kind === 'seal') s = { kind: 'seal', image: s.image, rect: displayed };
    }
    if (s.kind === 'seal' && !s.rect && !s.signerRect) {
      const signerRect = lastSignerRect(reader, page);
      if (!signerRect) {
        throw new KysoError(
          'INVALID_ARGUMENT',
          'Không tìm thấy chữ ký của người có thẩm quyền trên trang này để đặt con dấu; hãy ký trước hoặc chỉ định --rect',
          'No signature of the competent person on this page to place the seal against; sign first or give --rect',
        );
      }
      s = { ...s, signerRect };
    }
    const built = buildAppearance(sink, s, geometry(page));
    const [ox, oy] = page.cropBox;
    const [x1, y1, x2, y2] = built.rect;
    return { rect: [x1 + ox, y1 + oy, x2 + ox, y2 + oy], ap: built.ap };
  };
}
