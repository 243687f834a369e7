import { NatPortKernel } from './nat-port.js';

/**
 * The kernel a machine runs, as far as its network namespaces share state: a
 * node and every pod on it are namespaces of one kernel, so what a module
 * keeps in global variables (nf_nat's port rovers) and what the release
 * decides are the same for all of them; an external host or the gateway has
 * its own.
 */
export class MachineKernel {
  readonly natPorts = new NatPortKernel();
}
