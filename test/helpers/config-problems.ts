/** The problems a ConfigError lists; fails the test when `fn` does not throw one. */
import { ConfigError } from '../../server/config/load.ts';

export function configProblems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}
