// Reference resolution shared by every way of reading objects (the whole-file reader, per-revision views).
import { PdfDict, PdfObject, PdfRef, PdfStream } from './objects.ts';

export abstract class ObjectAccess {
  abstract getObject(num: number): PdfObject;

  /** Resolves a reference (or returns a direct object unchanged). Missing objects resolve to null (§7.3.10). */
  resolve(o: PdfObject | undefined): PdfObject {
    if (o === undefined) return null;
    if (!(o instanceof PdfRef)) return o;
    return this.getObject(o.num);
  }

  /** The dictionary an object is or refers to (a stream's dictionary for streams). */
  dict(o: PdfObject | undefined): PdfDict | undefined {
    const v = this.resolve(o);
    if (v instanceof PdfDict) return v;
    if (v instanceof PdfStream) return v.dict;
    return undefined;
  }
}
