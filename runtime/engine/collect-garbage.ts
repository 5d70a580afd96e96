// A full garbage collection of the calling thread, when the process allows one
// (`--expose-gc`, as the bench runs): what makes heap figures count live objects only.
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  for (let i = 0; i < 4; i++) gc();
}
