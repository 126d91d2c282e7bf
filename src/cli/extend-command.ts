// `kyso extend FILE -o OUT --level B-LT|B-LTA [--tsa URL]`: raises every signature of a PDF (from kyso or any
// other signer) or of an XML document to long-term validity, by incremental updates for PDF. Extending a B-LTA
// file again renews its archive timestamp. The input is never modified; the output is written to a temporary
// file and renamed into place.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { KysoError } from '../errors.ts';
import { sniffFormat } from '../exchange/verify-document.ts';
import { extendPdf, type ExtendLevel } from '../signing/pdf/extend.ts';
import { extendXml } from '../signing/xml/xades-ltv.ts';
import { writeOutputFile } from './sign-command.ts';

interface ExtendCliOptions {
  output: string;
  level: ExtendLevel;
  tsa?: string;
}

const usage = (vi: string, en: string) => new KysoError('INVALID_ARGUMENT', vi, en);

export function registerExtendCommand(program: Command): void {
  program
    .command('extend')
    .description(
      'Nâng mức chữ ký đã có lên B-LT/B-LTA để kiểm tra được lâu dài: nhúng chuỗi chứng thư, OCSP/CRL và dấu thời gian lưu trữ (raise existing signatures to B-LT/B-LTA: embed chains, OCSP/CRL and an archive timestamp)',
    )
    .argument('<input>', 'tệp PDF hoặc XML đã ký (signed PDF or XML; never modified)')
    .requiredOption('-o, --output <file>', 'tệp kết quả (output file)')
    .addOption(new Option('--level <level>', 'mức cần đạt (target level)').choices(['B-LT', 'B-LTA']).default('B-LTA'))
    .option('--tsa <url>', 'máy chủ dấu thời gian RFC 3161 (RFC 3161 TSA URL; needed for B-LTA and for signatures without a timestamp)')
    .action(async (input: string, o: ExtendCliOptions) => {
      const inPath = resolve(input);
      const outPath = resolve(o.output);
      if (inPath === outPath) throw usage('Tệp ra phải khác tệp vào (tệp gốc không bao giờ bị sửa)', 'The output must differ from the input (the input is never modified)');
      if (o.level === 'B-LTA' && !o.tsa) throw usage('Mức B-LTA cần --tsa', 'Level B-LTA needs --tsa');
      let bytes: Buffer;
      try {
        bytes = readFileSync(inPath);
      } catch (e) {
        throw new KysoError('IO', `Không đọc được tệp: ${inPath}`, `Cannot read ${inPath}`, { cause: e });
      }
      const format = sniffFormat(bytes);
      const result = format === 'XML' ? await extendXml(bytes, { level: o.level, tsaUrl: o.tsa }) : await extendPdf(bytes, { level: o.level, tsaUrl: o.tsa });
      writeOutputFile(outPath, result.bytes);
      const ts = result.timestampsAdded ? `, ${result.timestampsAdded} dấu thời gian mới` : '';
      const tsEn = result.timestampsAdded ? `, ${result.timestampsAdded} new timestamp(s)` : '';
      process.stdout.write(
        `Đã nâng ${result.signatures} chữ ký lên ${o.level}${ts}: ${outPath}\nExtended ${result.signatures} signature(s) to ${o.level}${tsEn}: ${outPath}\n`,
      );
    });
}
