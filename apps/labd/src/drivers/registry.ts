import type { DriverName } from '@ebpf-lab/lab-spec';
import { usageError } from '../errors.ts';
import { NetnsDriver } from './netns/netns-driver.ts';
import type { LabDriver } from './types.ts';

type Factory = () => Promise<LabDriver> | LabDriver;

// Other drivers load lazily so the netns path never pays for their dependencies.
const factories: Partial<Record<DriverName, Factory>> = {
  netns: () => new NetnsDriver(),
  kind: async () => new (await import('./kind/kind-driver.ts')).KindDriver(),
  vagrant: async () => new (await import('./vagrant/vagrant-driver.ts')).VagrantDriver(),
  vm: async () => new (await import('./vm/vm-driver.ts')).VmDriver(),
};

export function registerDriver(name: DriverName, factory: Factory): void {
  factories[name] = factory;
}

export async function getDriver(name: DriverName): Promise<LabDriver> {
  const f = factories[name];
  if (!f) throw usageError(`the ${name} driver is not available in this build`, `available drivers: ${Object.keys(factories).join(', ')}`);
  return f();
}

export const driverNames = () => Object.keys(factories) as DriverName[];
