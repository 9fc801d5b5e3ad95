import { GoLiteral, type LabelSelector } from '@kemu/api';

/**
 * Kubernetes prints a field error's bad value with Go's `%#v` whenever it is not a plain
 * string, number or bool: `[]string{"10.0.0.1"}`, `map[string]string{"app":"x"}`,
 * `v1.LabelSelector{...}`. These helpers write those texts; they wrap them in GoLiteral
 * so @kemu/api's FieldError prints them verbatim.
 */

/** Go's strconv.Quote: printable characters kept, the rest escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c < 0x7f || isPrintable(c)) out += ch;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

// An approximation of unicode.IsPrint for non-ASCII: letters, marks, numbers,
// punctuation, symbols and the ASCII space are printable; other spaces, controls,
// format characters and unpaired surrogates are not.
function isPrintable(c: number): boolean {
  return /[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(String.fromCodePoint(c));
}

export function goStrings(xs: readonly string[] | undefined): string {
  return xs === undefined ? '[]string(nil)' : `[]string{${xs.map(goQuote).join(', ')}}`;
}

/** `map[string]string{"a":"1", "b":"2"}`; Go prints map keys sorted. */
export function goStringMap(m: Readonly<Record<string, string>> | undefined): string {
  if (m === undefined) return 'map[string]string(nil)';
  const keys = Object.keys(m).sort(compareGo);
  return `map[string]string{${keys.map((k) => `${goQuote(k)}:${goQuote(m[k]!)}`).join(', ')}}`;
}

/** Byte-wise ordering of Go strings (UTF-16 order differs only outside the BMP). */
export function compareGo(a: string, b: string): number {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return Buffer.compare(x, y);
}

export function goLabelSelector(s: LabelSelector): string {
  const exprs = s.matchExpressions;
  const reqs =
    exprs === undefined
      ? '[]v1.LabelSelectorRequirement(nil)'
      : `[]v1.LabelSelectorRequirement{${exprs
          .map(
            (e) =>
              `v1.LabelSelectorRequirement{Key:${goQuote(e.key ?? '')}, Operator:${goQuote(e.operator ?? '')}, Values:${goStrings(e.values)}}`,
          )
          .join(', ')}}`;
  return `v1.LabelSelector{MatchLabels:${goStringMap(s.matchLabels)}, MatchExpressions:${reqs}}`;
}

/** intstr.IntOrString as a Go struct literal: Type 0 holds a number, Type 1 a string. */
export function goIntOrString(v: number | string | undefined): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${v ?? 0}, StrVal:""}`;
}

/** The (protocol, port) key Kubernetes reports for a duplicate Service port. */
export function goServicePortKey(protocol: string, port: number): string {
  return (
    `core.ServicePort{Name:"", Protocol:${goQuote(protocol)}, AppProtocol:(*string)(nil), Port:${port}, ` +
    `TargetPort:${goIntOrString(0)}, NodePort:0}`
  );
}

/** A taint as Kubernetes prints a duplicate one. A set timeAdded prints as a pointer. */
export function goTaint(t: { key?: string; value?: string; effect?: string; timeAdded?: string }): string {
  const time = t.timeAdded === undefined ? '(*v1.Time)(nil)' : '(*v1.Time)(0xc000000000)';
  return `core.Taint{Key:${goQuote(t.key ?? '')}, Value:${goQuote(t.value ?? '')}, Effect:${goQuote(t.effect ?? '')}, TimeAdded:${time}}`;
}

/** A timestamp as Go's time.Time String() prints it (in UTC). Empty is the zero time. */
export function goTime(rfc3339: string): string {
  if (!rfc3339) return '0001-01-01 00:00:00 +0000 UTC';
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  const frac = /\.(\d+)/.exec(rfc3339)?.[1]?.replace(/0+$/, '') ?? '';
  const iso = d.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC`;
}

export function go(text: string): GoLiteral {
  return new GoLiteral(text);
}
