import { z } from 'zod';

/** Kernel and tool capabilities a lab can require; `lab doctor` reports the same names. */
export const CAPABILITIES = [
  'root',
  'bpf',
  'btf',
  'kprobe',
  'fentry',
  'tracepoint',
  'xdp',
  'tc',
  'cgroup',
  'ringbuf',
  'bpffs',
  'tracefs',
  'clang',
  'bpftool',
  'bpftrace',
  'iptables',
  'ip',
  'make',
] as const;
export const Capability = z.enum(CAPABILITIES);
export type Capability = z.infer<typeof Capability>;

// The driver names are part of the HTTP contract too (GET /v1/lab answers with one): defined there.
import { DriverName } from '@ebpf-lab/api';
export { DRIVER_NAMES, DriverName } from '@ebpf-lab/api';

// Names end up inside interface and namespace names, which the kernel caps at 15 characters.
const shortName = z.string().regex(/^[a-z][a-z0-9-]{0,9}$/, 'lower-case letters, digits and dashes, at most 10 characters, starting with a letter');
const ipv4 = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}$/, 'an IPv4 address like 192.168.10.10');
const cidr = z.string().regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$/, 'a CIDR like 172.16.0.0/24');

export const NodeSpec = z
  .object({
    name: shortName,
    ip: ipv4.optional(),
    podCidr: cidr.optional(),
  })
  .strict();

export const PodSpec = z
  .object({
    name: shortName,
    node: shortName,
    ip: ipv4.optional(),
    labels: z.record(z.string(), z.string()).default({}),
  })
  .strict();

/**
 * A host outside the cluster (an internet stand-in): it sits on the nodes' segment at `uplinkIp`,
 * is every node's default gateway, holds `ip` itself and knows no route to any pod CIDR, as a
 * real upstream router would not. Pods reach it only through their node, and it can answer them
 * only when the node masquerades (pod-to-pod's egress step).
 */
export const OutsideSpec = z
  .object({
    name: shortName,
    ip: ipv4,
    uplinkIp: ipv4.optional(),
  })
  .strict();

/**
 * The lab's network. One node and no pods is the "single" topology; several nodes joined on one
 * L2 segment with pods routed between node pod CIDRs is the "model cluster", optionally with one
 * `outside` host beyond the nodes' uplink.
 */
export const TopologySpec = z
  .object({
    nodes: z
      .array(NodeSpec)
      .min(1)
      .default([{ name: 'lab' }]),
    nodeCidr: cidr.default('192.168.10.0/24'),
    pods: z.array(PodSpec).default([]),
    outside: OutsideSpec.optional(),
  })
  .strict();
export type TopologySpec = z.infer<typeof TopologySpec>;

/**
 * What the lesson's editor opens first: the file the learner must edit. `open` is a path in the
 * lab's workdir (under files/ or an `include` path; loadLab checks which). Per lab, and per step
 * when steps edit different files (the step's wins while it is the learner's current one).
 */
export const EditorSpec = z
  .object({
    open: z.string().regex(/^(?!\/)(?!.*\.\.)[\w./-]+$/, 'a relative path in the lab workdir, without ".."'),
  })
  .strict();
export type EditorSpec = z.infer<typeof EditorSpec>;

export const StepSpec = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    title: z.string().min(1),
    timeoutSeconds: z.number().int().positive().max(600).default(30),
    editor: EditorSpec.optional(),
  })
  .strict();
export type StepSpec = z.infer<typeof StepSpec>;

// A path inside the lab folder (kind config, Helm values).
const labPath = z.string().regex(/^(?!\/)(?!.*\.\.)[\w./-]+$/, 'a relative path inside the lab folder, without ".."');

/** A Helm release the kind driver installs at `up`, or leaves to the lesson (`install: lesson`). */
export const HelmReleaseSpec = z
  .object({
    release: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Helm release name: lower-case letters, digits and dashes'),
    chart: z.string().min(1),
    repo: z
      .string()
      .regex(/^https?:\/\//, 'an http(s) chart repository URL')
      .optional(),
    version: z.string().min(1).optional(),
    namespace: z.string().min(1).default('default'),
    values: z.array(labPath).default([]),
    install: z.enum(['up', 'lesson']).default('up'),
    waitFor: z
      .array(
        z
          .object({
            kind: z.enum(['DaemonSet', 'Deployment']),
            name: z.string().min(1),
            namespace: z.string().min(1).optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export type HelmReleaseSpec = z.infer<typeof HelmReleaseSpec>;

/** What the kind driver builds: the cluster config, images to preload, Helm releases. */
export const KindSpec = z
  .object({
    config: labPath.default('kind.yaml'),
    nodeImage: z.string().min(1).optional(),
    images: z.array(z.string().min(1)).default([]),
    helm: z.array(HelmReleaseSpec).default([]),
    waitSeconds: z.number().int().positive().max(1800).default(600),
    /** A lab id to offer where docker, kind, helm or the images are missing. */
    alternative: z.string().optional(),
  })
  .strict();
export type KindSpec = z.infer<typeof KindSpec>;

/** What the vm driver gives each instance of the lab: a QEMU guest with its own kernel. */
export const VmSpec = z
  .object({
    memoryMiB: z.number().int().min(256).max(16384).default(1024),
    cpus: z.number().int().min(1).max(8).default(1),
    /** Size of the instance's disk (a copy-on-write overlay on the shared image). */
    diskGiB: z.number().int().min(8).max(64).default(8),
  })
  .strict();
export type VmSpec = z.infer<typeof VmSpec>;

/**
 * Resource limits of one lab instance (netns driver: cgroups and a size-bounded workdir). Every
 * field is optional; the driver fills in its defaults (docs: `lab doctor` shows which are enforced).
 */
export const LimitsSpec = z
  .object({
    memoryMiB: z.number().int().min(64, 'at least 64 (clang alone needs that much)').max(65536).optional(),
    pids: z.number().int().min(32, 'at least 32 (a shell, make and clang already take several)').max(65536).optional(),
    /** CPU time as a percentage of one core (200 = two cores). */
    cpuPercent: z.number().int().min(10).max(6400).optional(),
    workdirMiB: z.number().int().min(16).max(65536).optional(),
  })
  .strict();
export type LimitsSpec = z.infer<typeof LimitsSpec>;

export const LabSpec = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'),
    title: z.string().min(1),
    summary: z.string().default(''),
    drivers: z.array(DriverName).min(1),
    topology: TopologySpec.default({ nodes: [{ name: 'lab' }], nodeCidr: '192.168.10.0/24', pods: [] }),
    requires: z.array(Capability).default([]),
    /** Repository paths (files or folders) copied into the lab workdir at the same relative path. */
    include: z.array(z.string().regex(/^(?!\/)(?!.*\.\.)[\w./-]+$/, 'a relative path inside the repository, without ".."')).default([]),
    /**
     * Files of the lab library (labs/_lib) that several labs share, by name; each is copied to
     * .lab/<name> in the workdir (where a submission cannot replace it) by every driver.
     */
    lib: z.array(z.string().regex(/^[\w-][\w.-]*$/, 'a file name in labs/_lib')).default([]),
    setupTimeoutSeconds: z.number().int().positive().max(900).default(60),
    steps: z.array(StepSpec).min(1),
    kind: KindSpec.optional(),
    vm: VmSpec.optional(),
    limits: LimitsSpec.optional(),
    editor: EditorSpec.optional(),
  })
  .strict();
export type LabSpec = z.infer<typeof LabSpec>;
