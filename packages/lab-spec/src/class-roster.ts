/**
 * The instructor room's wire types (GET /v1/classes/roster and the room's `roster` events) are
 * part of the HTTP contract in packages/api; re-exported here for importers of lab-spec.
 */
export { CLASS_LANGUAGES } from '@ebpf-lab/api';
export type { ClassLanguage, ClassLesson, LabState, Roster, RosterRow, RosterStep, StepStatus } from '@ebpf-lab/api';
