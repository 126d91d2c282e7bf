// The `kyso` command. Thin: parses arguments, calls the library, prints Vietnamese-first messages and maps
// typed errors to stable exit codes (see exit-codes.ts).
import { Command, CommanderError } from 'commander';
import { isKysoError } from '../errors.ts';
import { registerAuditCommand } from './audit-command.ts';
import { EXIT, exitCodeFor } from './exit-codes.ts';
import { registerExtendCommand } from './extend-command.ts';
import { registerPkiCommands } from './pki-command.ts';
import { registerQueueCommand } from './queue-command.ts';
import { registerServeCommand } from './serve-command.ts';
import { registerSignCommand } from './sign-command.ts';
import { registerVerifyCommand, type CommandResult } from './verify-command.ts';

/** `result` receives the exit status of commands that decide their own (kyso verify). */
export function buildProgram(result: CommandResult = {}): Command {
  const program = new Command('kyso')
    .description('kyso — ký số PAdES/XAdES cho cơ quan nhà nước (digital signing for Vietnamese government agencies)')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  registerSignCommand(program);
  registerExtendCommand(program);
  registerVerifyCommand(program, result);
  registerPkiCommands(program);
  registerServeCommand(program);
  registerAuditCommand(program, result);
  registerQueueCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const result: CommandResult = {};
  const program = buildProgram(result);
  try {
    await program.parseAsync(argv);
    return result.exitCode ?? EXIT.OK;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end through here with exit code 0.
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (isKysoError(e)) {
      process.stderr.write(`Lỗi [${e.code}]: ${e.vi}\nError [${e.code}]: ${e.en}\n`);
      return exitCodeFor(e.code);
    }
    process.stderr.write(`Lỗi không mong đợi / Unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return EXIT.FAILURE;
  }
}
