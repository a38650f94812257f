/**
 * Tests that need a program the machine may lack (redis-server, chromium): locally they
 * skip with the install hint; under CI they are never skipped, so a missing program fails
 * them and a green CI run means they ran.
 */

/** True when running under CI (CI set to anything but "", "0" or "false"). */
export const IN_CI = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

/**
 * The `skip` option for the tests that need `tool`: false when it is `present` or under
 * CI (where the test then fails on the missing tool), else the reason to skip.
 */
export function requireTool(tool: string, present: boolean, install: string): false | string {
  if (present || IN_CI) return false;
  return `${tool} is not installed (${install}); skipping the tests that need it`;
}
