import type * as Monaco from 'monaco-editor';
import type { Diagnostic } from './lab-api';

/** Does a diagnostic's file (absolute in the lab, or relative to the tool's folder) name `path`? */
export function sameFile(diagFile: string | undefined, path: string): boolean {
  if (!diagFile) return true;
  const a = diagFile.replace(/^\.\//, '');
  return a === path || a.endsWith(`/${path}`) || path.endsWith(`/${a}`);
}

/** labd's diagnostics for `path` as Monaco markers (lines and columns are 1-based on both sides). */
export function toMarkers(monaco: typeof Monaco, model: Monaco.editor.ITextModel, path: string, diags: Diagnostic[]): Monaco.editor.IMarkerData[] {
  return diags
    .filter((d) => sameFile(d.file, path))
    .map((d) => {
      const line = Math.min(Math.max(1, d.line || 1), model.getLineCount());
      const col = Math.max(1, d.column ?? model.getLineFirstNonWhitespaceColumn(line) ?? 1);
      const word = d.column ? model.getWordAtPosition({ lineNumber: line, column: col }) : null;
      return {
        severity: d.severity === 'warning' ? monaco.MarkerSeverity.Warning : d.severity === 'info' ? monaco.MarkerSeverity.Info : monaco.MarkerSeverity.Error,
        message: d.message,
        startLineNumber: line,
        startColumn: word?.startColumn ?? col,
        endLineNumber: line,
        endColumn: word?.endColumn ?? (d.column ? col + 1 : model.getLineMaxColumn(line)),
        source: 'labd',
      };
    });
}
