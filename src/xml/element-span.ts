// Where an element of a parsed DOM stands in the text it was parsed from. Signing and routing-trace edits
// insert into the original text rather than re-serializing it (re-serialization would change bytes that are
// already signed), so they need the element's offsets. Pure format mechanics: nothing here knows about
// signatures or edXML; callers name their own error when an element cannot be found.
import type { Document, Element, Node } from '@xmldom/xmldom';

export interface ElementSpan {
  /** Offset of `<` of the start tag. */
  start: number;
  /** Offset just after the start tag's `>`. */
  openEnd: number;
  /** Offset of `<` of the end tag (= end for an empty-element tag). */
  closeStart: number;
  /** Offset just after the end tag's `>` (= openEnd for an empty-element tag). */
  end: number;
  empty: boolean;
}

/** Position of `el` among the document's elements in document order (0 = the document element); -1 if absent. */
export function elementOrdinal(doc: Document, el: Element): number {
  let i = 0;
  const stack: Node[] = [doc.documentElement!];
  while (stack.length) {
    const n = stack.pop()!;
    if (n === el) return i;
    i++;
    for (let c = n.lastChild; c; c = c.previousSibling) if (c.nodeType === 1) stack.push(c);
  }
  return -1;
}

/**
 * The text span of the `ordinal`-th element (document order) of `text`, which must already be known to be
 * well-formed (it parsed): a lexical scan over comments, CDATA, processing instructions and tags (quoted
 * attribute values may hold `>`), counting start tags in document order as the DOM does. Undefined when the
 * scan cannot place it (a DOCTYPE, which the safe parser refuses anyway, or text that is not what was parsed).
 */
export function elementSpan(text: string, ordinal: number): ElementSpan | undefined {
  let pos = 0;
  let count = -1;
  const open: { ordinal: number; start: number; openEnd: number }[] = [];
  for (;;) {
    const lt = text.indexOf('<', pos);
    if (lt < 0) return undefined;
    const next = text.charCodeAt(lt + 1);
    if (next === 0x21 /* ! */) {
      if (text.startsWith('<!--', lt)) pos = text.indexOf('-->', lt + 4) + 3;
      else if (text.startsWith('<![CDATA[', lt)) pos = text.indexOf(']]>', lt + 9) + 3;
      else return undefined; // DOCTYPE: refused by the parser already
      if (pos < 3) return undefined;
    } else if (next === 0x3f /* ? */) {
      pos = text.indexOf('?>', lt + 2) + 2;
      if (pos < 2) return undefined;
    } else if (next === 0x2f /* / */) {
      const gt = text.indexOf('>', lt);
      if (gt < 0) return undefined;
      const o = open.pop();
      if (!o) return undefined;
      if (o.ordinal === ordinal) return { start: o.start, openEnd: o.openEnd, closeStart: lt, end: gt + 1, empty: false };
      pos = gt + 1;
    } else {
      let i = lt + 1;
      for (; i < text.length; i++) {
        const ch = text.charCodeAt(i);
        if (ch === 0x3e /* > */) break;
        if (ch === 0x22 || ch === 0x27) {
          i = text.indexOf(ch === 0x22 ? '"' : "'", i + 1);
          if (i < 0) return undefined;
        }
      }
      if (i >= text.length) return undefined;
      count++;
      const empty = text.charCodeAt(i - 1) === 0x2f;
      if (empty) {
        if (count === ordinal) return { start: lt, openEnd: i + 1, closeStart: i + 1, end: i + 1, empty: true };
      } else open.push({ ordinal: count, start: lt, openEnd: i + 1 });
      pos = i + 1;
    }
  }
}

/**
 * An empty-element tag `<x a="1"/>` (the span of it in `text`) rewritten as a start/end pair around `content`:
 * `<x a="1">content</x>`.
 */
export function expandEmptyElement(text: string, span: ElementSpan, content: string): string {
  const tag = text.slice(span.start, span.openEnd - 2).replace(/\s+$/, '');
  const name = /^[^\s/>]+/.exec(tag.slice(1))![0];
  return `${tag}>${content}</${name}>`;
}
