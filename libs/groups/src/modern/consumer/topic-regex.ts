/**
 * KIP-848 regex subscriptions: `subscribed_topic_regex` in RE2/J syntax, matched against whole
 * topic names (Java's `matcher.matches()`), internal topics excluded. RE2 has no backreferences
 * and no lookaround; its `(?P<name>…)` groups, `\A`/`\z` anchors and a leading `(?i)`/`(?s)`/`(?m)`
 * flag group are translated to JavaScript's forms.
 */

export class InvalidRegexError extends Error {}

const INTERNAL_TOPICS = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);

/** Compiles an RE2/J pattern to a JavaScript RegExp matching whole names; throws InvalidRegexError. */
export function compileTopicRegex(pattern: string): RegExp {
  if (pattern.length === 0) throw new InvalidRegexError('The regular expression is empty.');
  let body = pattern;
  let flags = '';
  const leading = /^\(\?([ims]+)\)/.exec(body);
  if (leading) {
    flags = [...new Set(leading[1])].join('');
    body = body.slice(leading[0].length);
  }
  // Outside character classes: reject what RE2 does not have, translate what it spells differently.
  let out = '';
  let inClass = false;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '\\') {
      const next = body[i + 1];
      if (next === undefined) throw new InvalidRegexError('The regular expression ends with a backslash.');
      if (!inClass && /[1-9]/.test(next)) throw new InvalidRegexError('Backreferences are not supported (RE2 syntax).');
      if (!inClass && next === 'A') out += '^';
      else if (!inClass && next === 'z') out += '$';
      else out += ch + next;
      i++;
      continue;
    }
    if (inClass) {
      if (ch === ']') inClass = false;
      out += ch;
      continue;
    }
    if (ch === '[') {
      inClass = true;
      out += ch;
      if (body[i + 1] === '^') out += body[++i];
      if (body[i + 1] === ']') out += body[++i];
      continue;
    }
    if (ch === '(' && body[i + 1] === '?') {
      const rest = body.slice(i + 2);
      if (/^(=|!|<=|<!)/.test(rest)) throw new InvalidRegexError('Lookaround is not supported (RE2 syntax).');
      if (rest.startsWith('P<')) {
        out += '(?<';
        i += 3;
        continue;
      }
      if (/^[ims-]+[:)]/.test(rest)) throw new InvalidRegexError('Flag groups are supported only at the start of the expression.');
    }
    out += ch;
  }
  try {
    return new RegExp(`^(?:${out})$`, flags);
  } catch (err) {
    throw new InvalidRegexError(`Invalid regular expression: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** The topics (not internal) whose whole name matches. */
export function matchingTopics(regex: RegExp, topicNames: Iterable<string>): string[] {
  return [...topicNames].filter((t) => !INTERNAL_TOPICS.has(t) && regex.test(t)).sort();
}
