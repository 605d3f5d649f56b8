/**
 * The file the lesson's editor opens: the one the learner's current step edits (the first step
 * not passed on this page, lab.yaml steps[].editor.open), else the lab's (editor.open), else none
 * (the editor falls back to its default).
 */
export function editorFileFor(steps: { id: string; editor?: string }[], passed: (step: string) => boolean, labFile?: string): string | undefined {
  return steps.find((s) => !passed(s.id))?.editor ?? labFile;
}
