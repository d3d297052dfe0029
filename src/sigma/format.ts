/** `file:line:col: CODE message`, the one format every caller prints. */
export function formatProblem(p: { file: string; line: number; col: number; code: string; message: string }): string {
  return `${p.file}:${p.line}:${p.col}: ${p.code} ${p.message}`;
}
