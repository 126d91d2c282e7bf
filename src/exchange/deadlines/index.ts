// Public-sector working calendar and PAKN deadlines.
export * from './working-calendar.ts';
export * from './deadlines.ts';
export * from './lunar-calendar.ts';
export * from './provisional-calendar.ts';
