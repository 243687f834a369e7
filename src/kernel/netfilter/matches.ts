import type { MatchModule } from './match.js';
import { addrtypeModule } from './match-addrtype.js';
import { conntrackModule } from './match-conntrack.js';
import { icmpModule } from './match-icmp.js';
import { ipvsModule } from './match-ipvs.js';
import { markModule } from './match-mark.js';
import { commentModule, nfacctModule } from './match-misc.js';
import { physdevModule } from './match-physdev.js';
import { multiportModule, sctpModule, tcpModule, udpModule } from './match-ports.js';
import { recentModule } from './match-recent.js';
import { setModule } from './match-set.js';
import { statisticModule } from './match-statistic.js';

/** The match extensions podwalk models, by `-m` name. */
export const MATCH_MODULES: ReadonlyMap<string, MatchModule> = new Map(
  [tcpModule, udpModule, sctpModule, icmpModule, multiportModule, commentModule, statisticModule, markModule, conntrackModule, addrtypeModule, recentModule, setModule, nfacctModule, physdevModule, ipvsModule].map((m) => [m.name, m]),
);

/** The match `-p NAME` loads implicitly when an option no loaded module knows follows it. */
export const PROTO_MODULES: Readonly<Record<number, string>> = { 1: 'icmp', 6: 'tcp', 17: 'udp', 132: 'sctp' };
