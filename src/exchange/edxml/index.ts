// edXML exchange format (QCVN 102:2016): model, identifiers, build, parse, status packets.
export * from './model.ts';
export * from './identifiers.ts';
export * from './build.ts';
export * from './parse.ts';
export * from './status.ts';
export * from './trace.ts';
