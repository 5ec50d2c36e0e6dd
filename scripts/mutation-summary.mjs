// Reads a Stryker mutation-report.json (mutation-testing-elements schema) and prints the score and every
// surviving or uncovered mutant. Exit code 1 when the score is below the threshold.
// Usage: node scripts/mutation-summary.mjs <report.json> <target-name> <break-at-percent>
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [reportPath, name, breakAt] = process.argv.slice(2);
const report = JSON.parse(readFileSync(reportPath, 'utf8'));
const counts = {};
const survivors = [];
for (const [file, { mutants }] of Object.entries(report.files)) {
  for (const m of mutants) {
    counts[m.status] = (counts[m.status] ?? 0) + 1;
    if (m.status === 'Survived' || m.status === 'NoCoverage') {
      const line = m.location.start.line;
      survivors.push(`  ${m.status.padEnd(10)} ${relative(process.cwd(), file)}:${line}  ${m.mutatorName}${m.replacement ? ` -> ${m.replacement.replace(/\s+/g, ' ').slice(0, 90)}` : ''}`);
    }
  }
}
const detected = (counts.Killed ?? 0) + (counts.Timeout ?? 0);
const valid = detected + (counts.Survived ?? 0) + (counts.NoCoverage ?? 0);
const score = valid === 0 ? 100 : (100 * detected) / valid;
console.log(`${name}: ${score.toFixed(1)}% (killed ${counts.Killed ?? 0}, timeout ${counts.Timeout ?? 0}, ` +
  `survived ${counts.Survived ?? 0}, no coverage ${counts.NoCoverage ?? 0}, compile errors ${counts.CompileError ?? 0}, ignored ${counts.Ignored ?? 0})`);
for (const s of survivors) console.log(s);
process.exit(score + 1e-9 < Number(breakAt) ? 1 : 0);
