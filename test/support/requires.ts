/** The `describe` of Jest, or its `describe.skip`. */
export type SuiteDeclaration = (title: string, body: () => void) => void;

/**
 * Returns `describe` when every variable in `variables` has a value, and otherwise `describe.skip`
 * with the names appended to the title as "(skipped: set A and B to run)". The skipped-suites
 * reporter prints that reason at the end of the run, so a suite that needs a service never passes
 * unseen by running nothing.
 */
export function describeWith(variables: Record<string, string | undefined>): SuiteDeclaration {
  const names = Object.keys(variables);
  const missing = names.filter((name) => !variables[name]);
  if (missing.length === 0) {
    return describe;
  }

  return (title, body) => describe.skip(`${title} (skipped: set ${joinNames(names)} to run)`, body);
}

function joinNames(names: string[]): string {
  return names.length <= 1
    ? names.join('')
    : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
