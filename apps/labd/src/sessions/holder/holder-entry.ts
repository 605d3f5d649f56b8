// Entry point of the terminal holder program (bundled by bundle.ts; see holder-main.ts).
import { main } from './holder-main.ts';

main().catch((e: Error) => {
  process.stderr.write(`holder: ${e.stack ?? e.message}\n`);
  process.exit(1);
});
