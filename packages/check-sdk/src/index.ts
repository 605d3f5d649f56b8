// The Kubernetes helpers are a separate entry (`@ebpf-lab/check-sdk/kube`) so checks of labs
// without a cluster do not load client-node: every check run starts a fresh process.
export * from './check-contract.ts';
export * from './check-helpers.ts';
