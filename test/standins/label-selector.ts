/**
 * Kubernetes label selectors (`a=b,c!=d,e,!f,g in (x,y),h notin (z)`), as the
 * Argo stand-in's list endpoint needs them.
 */
type Requirement = (labels: Record<string, string>) => boolean;

/** Parses a selector into a predicate; throws on syntax Kubernetes would refuse. */
export function parseLabelSelector(selector: string): (labels: Record<string, string> | undefined) => boolean {
  const requirements: Requirement[] = [];
  // Split on commas outside parentheses.
  const parts = selector.match(/(?:[^,(]+|\([^)]*\))+/g) ?? [];
  for (const raw of parts) {
    const part = raw.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part))) {
      const [, key, op, list] = m as unknown as [string, string, string, string];
      const values = list.split(',').map((v) => v.trim());
      requirements.push(op === 'in' ? (l) => values.includes(l[key] ?? '\0') : (l) => !values.includes(l[key] ?? '\0'));
    } else if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(part))) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      requirements.push(op === '!=' ? (l) => l[key] !== value : (l) => l[key] === value);
    } else if ((m = /^!([\w./-]+)$/.exec(part))) {
      const key = m[1]!;
      requirements.push((l) => !(key in l));
    } else if ((m = /^([\w./-]+)$/.exec(part))) {
      const key = m[1]!;
      requirements.push((l) => key in l);
    } else {
      throw new Error(`unable to parse requirement: ${part}`);
    }
  }
  return (labels) => requirements.every((r) => r(labels ?? {}));
}
