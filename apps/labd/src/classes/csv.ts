/** One RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled. */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v);
  // Text starting with =, +, - or @ would run as a spreadsheet formula (learner-controlled
  // messages end up here), and so would one after a leading tab or CR, which some spreadsheets
  // strip (OWASP's list); a leading apostrophe keeps it text. Numbers are left alone.
  const safe = typeof v === 'string' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A CSV document (CRLF line ends, as RFC 4180 and spreadsheets expect) from a header and rows. */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
