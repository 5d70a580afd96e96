/** Text made safe for one cell of a Markdown table: pipes escaped (even in code spans), one line. */
export function markdownCell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ').trim();
}
