/**
 * A client-supplied regular expression (ListTransactions v2's transactional id pattern, KIP-1152),
 * matched against whole ids as Kafka's RE2/J `matches()` does. Compiled with JavaScript's engine,
 * so it accepts only what RE2 would run in linear time: backreferences and lookaround (which RE2
 * lacks) and a quantifier applied to a group that itself holds one (the nested repetition that
 * makes a backtracking engine exponential) are refused as invalid, as is a pattern over 1 KiB.
 */
const MAX_PATTERN = 1024;
const UNSUPPORTED = /\\[1-9]|\\k<|\(\?<?[=!]/;

/** The matcher of `pattern`, or an error message when it is refused. */
export function compileIdPattern(pattern: string): { match: (id: string) => boolean } | { error: string } {
  if (pattern.length > MAX_PATTERN) return { error: `The pattern is longer than ${MAX_PATTERN} characters.` };
  if (UNSUPPORTED.test(pattern)) return { error: `The pattern ${pattern} uses backreferences or lookaround, which RE2 does not support.` };
  if (hasNestedQuantifier(pattern)) return { error: `The pattern ${pattern} repeats a group that repeats, which is refused.` };
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${pattern})$`, 'u');
  } catch (e) {
    return { error: `Invalid regular expression ${pattern}: ${(e as Error).message}` };
  }
  return { match: (id) => re.test(id) };
}

/** Whether a quantified group contains a quantifier (star height above one). */
function hasNestedQuantifier(pattern: string): boolean {
  const stack: boolean[] = [];
  let quantifiedInside = false;
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') {
      stack.push(quantifiedInside);
      quantifiedInside = false;
    } else if (c === ')') {
      const inner: boolean = quantifiedInside;
      quantifiedInside = stack.pop() ?? false;
      const next = pattern[i + 1];
      const quantified = next === '*' || next === '+' || next === '?' || next === '{';
      if (quantified && inner) return true;
      quantifiedInside = quantifiedInside || inner || quantified;
    } else if (c === '*' || c === '+' || c === '{' || (c === '?' && pattern[i - 1] !== '(')) {
      quantifiedInside = true;
    }
  }
  return false;
}
