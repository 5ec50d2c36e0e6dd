#!/usr/bin/env node
// Runs cdk-nag's AwsSolutions pack over the synthesized Fanout template.
//
// The stack is written in C#, and cdk-nag ships no .NET package here, so the template `cdk synth` wrote is
// loaded back into a TypeScript-side App with cloudformation-include (CfnInclude turns every resource into
// its L1 construct, which is what the nag rules inspect). Findings are matched against the committed
// suppressions file; every suppression must say why. Exits non-zero on any unsuppressed error, on a
// suppression without a reason, and on a suppression whose resources exist but raise no finding any more (stale
// ones hide drift).
//
// Usage: node infra/nag/run-nag.mjs [--assembly cdk.out] [--stack Fanout] [--suppressions infra/nag/suppressions.json]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
// Resolve packages from the repository's node_modules, wherever this is run from.
const require = createRequire(join(repoRoot, 'package.json'));
const { App, Stack } = require('aws-cdk-lib');
const { CfnInclude } = require('aws-cdk-lib/cloudformation-include');
const { AwsSolutionsChecks } = require('cdk-nag');

function usage(message) {
  if (message) console.error(`run-nag: ${message}`);
  console.error('Usage: node infra/nag/run-nag.mjs [--assembly DIR] [--stack NAME] [--suppressions FILE]');
  process.exit(message ? 2 : 0);
}

const options = { assembly: join(repoRoot, 'cdk.out'), stack: undefined, suppressions: join(repoRoot, 'infra', 'nag', 'suppressions.json') };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const flag = args[i];
  if (flag === '-h' || flag === '--help') usage();
  const value = args[++i];
  if (value === undefined) usage(`${flag} needs a value`);
  if (flag === '--assembly') options.assembly = resolve(value);
  else if (flag === '--stack') options.stack = value;
  else if (flag === '--suppressions') options.suppressions = resolve(value);
  else usage(`unknown argument ${flag}`);
}

// The cloud assembly's manifest names each stack's template; with one stack no --stack is needed.
const manifestPath = join(options.assembly, 'manifest.json');
if (!existsSync(manifestPath)) usage(`${manifestPath} not found; run \`npx cdk synth\` first`);
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const stacks = Object.entries(manifest.artifacts ?? {})
  .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
  .map(([id, artifact]) => ({ id, name: artifact.displayName ?? id, template: join(options.assembly, artifact.properties.templateFile) }));
const target = options.stack ? stacks.find((s) => s.id === options.stack || s.name === options.stack) : stacks.length === 1 ? stacks[0] : undefined;
if (!target) usage(`choose a stack with --stack (found: ${stacks.map((s) => s.id).join(', ') || 'none'})`);

const suppressions = loadSuppressions(options.suppressions);

const app = new App();
const stack = new Stack(app, 'Nag');
const template = new CfnInclude(stack, 'Template', { templateFile: target.template });
const checked = template.node.findAll().filter((c) => c.cfnResourceType !== undefined).length;
const report = new AwsSolutionsChecks(app).validateScope(app);

// Each violation groups the resources breaking one rule (or one finding of it, e.g. `AwsSolutions-IAM5[Resource::*]`).
const findings = [];
for (const violation of report.violations) {
  for (const resource of violation.violatingResources) {
    findings.push({
      rule: violation.ruleName,
      severity: violation.severity,
      description: violation.description,
      logicalId: resource.constructPath.split('/').pop(),
    });
  }
}

const used = new Set();
const unsuppressed = [];
const suppressed = [];
for (const finding of findings) {
  const match = suppressions.find((s) => s.idPattern.test(finding.rule) && s.resourcePattern.test(finding.logicalId));
  if (match) {
    used.add(match);
    suppressed.push({ ...finding, reason: match.reason });
  } else {
    unsuppressed.push(finding);
  }
}

const errors = unsuppressed.filter((f) => f.severity === 'error');
const warnings = unsuppressed.filter((f) => f.severity !== 'error');
// A suppression for resources this template does not have (e.g. the user pool, when the stack trusts another
// issuer) is not stale, only not applicable here: were those resources renamed, their findings would go unsuppressed.
const logicalIds = Object.keys(JSON.parse(readFileSync(target.template, 'utf8')).Resources ?? {});
const absent = suppressions.filter((s) => !used.has(s) && !logicalIds.some((id) => s.resourcePattern.test(id)));
const stale = suppressions.filter((s) => !used.has(s) && !absent.includes(s));

console.log(`cdk-nag AwsSolutions on ${target.template} (${checked} resources)`);
for (const f of errors) console.log(`  ERROR   ${f.rule} on ${f.logicalId}: ${f.description}`);
for (const f of warnings) console.log(`  WARNING ${f.rule} on ${f.logicalId}: ${f.description}`);
for (const entry of suppressions.filter((s) => used.has(s))) {
  const hits = suppressed.filter((f) => f.reason === entry.reason);
  console.log(`  suppressed ${entry.id} (${hits.length}x ${hits[0].severity}) on ${hits.map((f) => f.logicalId).join(', ')}`);
  console.log(`      reason: ${entry.reason}`);
}
for (const s of absent) console.log(`  not applicable: ${s.id} on ${s.resources.join(', ')} (no such resource in this template)`);
for (const s of stale) console.log(`  STALE suppression ${s.id} on ${s.resources.join(', ')}: it matches no finding any more; delete it`);
console.log(`cdk-nag result: ${errors.length} errors, ${warnings.length} warnings, ${suppressed.length} suppressed findings ` +
  `(${used.size} of ${suppressions.length} suppression entries used)`);

process.exit(errors.length > 0 || stale.length > 0 ? 1 : 0);

/** Reads the suppressions, refusing any without a written reason. Patterns use `*` as a wildcard. */
function loadSuppressions(path) {
  if (!existsSync(path)) return [];
  const entries = JSON.parse(readFileSync(path, 'utf8')).suppressions;
  if (!Array.isArray(entries)) {
    console.error(`run-nag: ${path} must hold {"suppressions": [...]}`);
    process.exit(2);
  }
  const problems = [];
  const parsed = entries.map((entry, index) => {
    const label = `suppressions[${index}] (${entry.id ?? 'no id'})`;
    if (typeof entry.id !== 'string' || !entry.id.startsWith('AwsSolutions-')) problems.push(`${label}: "id" must be an AwsSolutions rule id`);
    if (typeof entry.reason !== 'string' || entry.reason.trim().length < 20) problems.push(`${label}: "reason" must explain the suppression (20+ characters)`);
    const resources = entry.resources ?? ['*'];
    if (!Array.isArray(resources) || resources.length === 0) problems.push(`${label}: "resources" must be a non-empty list of logical-id patterns`);
    return {
      id: entry.id,
      reason: entry.reason,
      resources,
      idPattern: glob(entry.id ?? ''),
      resourcePattern: new RegExp(`^(?:${resources.map((r) => glob(r).source.slice(1, -1)).join('|')})$`),
    };
  });
  if (problems.length > 0) {
    for (const p of problems) console.error(`run-nag: ${p}`);
    process.exit(2);
  }
  return parsed;
}

function glob(pattern) {
  return new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}
