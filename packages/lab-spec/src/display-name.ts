// The display-name rule is part of the HTTP contract (packages/api); lab-spec re-exports it for older importers.
export { DISPLAY_NAME_MAX, DisplayName, displayNameProblem } from '@ebpf-lab/api';
