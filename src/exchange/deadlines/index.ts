// Public-sector working calendar and PAKN deadlines.
export * from './working-calendar.ts';
export * from './deadlines.ts';
