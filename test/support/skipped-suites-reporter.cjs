/**
 * Jest reporter that lists, at the end of the run, each test file whose tests were all skipped and
 * each top-level describe block that was skipped in a file that ran, with the reason. The reason
 * is the "(skipped: ...)" text that `describeWith` in requires.ts appends to the describe title.
 */
const { relative } = require('node:path');

const REASON = /\(skipped: ([^)]*)\)\s*$/;
const NO_REASON = 'no reason in the describe title';

const isSkipped = (test) =>
  test.status === 'pending' || test.status === 'skipped' || test.status === 'todo';

class SkippedSuitesReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunComplete(_testContexts, results) {
    const skippedFiles = [];
    const skippedSuites = [];
    for (const file of results.testResults) {
      if (file.testExecError || file.testResults.length === 0) {
        continue;
      }

      const path = relative(this.rootDir, file.testFilePath);
      const suites = groupBySuite(file.testResults);
      if (file.testResults.every(isSkipped)) {
        const reasons = [...new Set([...suites.keys()].map(reasonOf))];
        skippedFiles.push(`  ${path}: ${reasons.join('; ')}`);
        continue;
      }

      for (const [title, tests] of suites) {
        if (tests.every(isSkipped) && REASON.test(title)) {
          skippedSuites.push(`  ${path} > ${title.replace(REASON, '').trim()}: ${reasonOf(title)}`);
        }
      }
    }

    const lines = [];
    if (skippedFiles.length > 0) {
      lines.push('Test files whose tests were all skipped:', ...skippedFiles);
    }

    if (skippedSuites.length > 0) {
      lines.push('Skipped suites in files that ran:', ...skippedSuites);
    }

    if (lines.length > 0) {
      process.stderr.write(`\n${lines.join('\n')}\n`);
    }
  }
}

/** Groups the tests of a file by the title of their top-level describe block. */
function groupBySuite(tests) {
  const suites = new Map();
  for (const test of tests) {
    const title = test.ancestorTitles[0] ?? '(no describe block)';
    suites.set(title, [...(suites.get(title) ?? []), test]);
  }

  return suites;
}

function reasonOf(title) {
  return REASON.exec(title)?.[1] ?? NO_REASON;
}

module.exports = SkippedSuitesReporter;
