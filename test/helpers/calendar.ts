// A hypothetical "official" 2027 working calendar for tests of provisional deadlines: it differs from the
// provisional table where it matters (Mon 04/01/2027 off, swapped with a worked Saturday). Written into a test's
// own calendar folder, never into src/.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeOfficial2027(dir: string, workedSaturday: '2027-01-09' | '2027-01-16' = '2027-01-16'): void {
  writeFileSync(
    join(dir, '2027.json'),
    JSON.stringify({
      year: 2027,
      source: `test: hypothetical official 2027 schedule (Mon 04/01 off, worked on Sat ${workedSaturday.slice(8)}/01)`,
      daysOff: [
        { date: '2027-01-01', kind: 'HOLIDAY', name: 'Tết Dương lịch' },
        { date: '2027-01-04', kind: 'SWAPPED', name: 'nghỉ hoán đổi' },
      ],
      workingWeekendDays: [{ date: workedSaturday, name: 'làm bù' }],
    }),
  );
}
