import { KEY_TYPES, parseValue, type NftType, type Range } from './datatypes.js';
import { parseDuration } from './duration.js';
import { splitCommands } from './commands.js';
import { parsePriority } from './priority.js';
import { overlaps, touches } from './intervals.js';
import { compileRule, NftError, type NftRule } from './rule.js';
import { NftSet, type NftElement } from './set.js';
import { unquote, type Token } from './tokens.js';
import type { NftChainType, NftFamily, NftHook } from './types.js';
import { formatVerdict, readVerdict } from './verdict.js';
import { stateEpoch } from '../fastpath/state-epoch.js';

export { NftError };

export interface NftBase {
  type: NftChainType;
  hook: NftHook;
  priority: number;
  policy: 'accept' | 'drop';
  /**
   * When the chain's hook was registered (nf_tables_addchain, at its `add
   * chain` in command order), counted per ruleset: of two chains at one hook
   * and priority the later-registered runs first (see hooked()).
   */
  registered: number;
}

export interface NftChain {
  name: string;
  comment: string | undefined;
  base: NftBase | undefined;
  rules: NftRule[];
}

export interface NftTable {
  family: NftFamily;
  name: string;
  comment: string | undefined;
  /** In creation order, as the kernel lists them. */
  chains: Map<string, NftChain>;
  sets: Map<string, NftSet>;
  nextHandle: number;
}

/** A base chain on a hook, with its table (what the netfilter hooks run). */
export interface HookedChain {
  table: NftTable;
  chain: NftChain;
}

const HOOKS: readonly NftHook[] = ['prerouting', 'input', 'forward', 'output', 'postrouting'];
const NAT_HOOKS: readonly NftHook[] = ['prerouting', 'input', 'output', 'postrouting'];

/**
 * The nftables state of one network namespace: tables of the `ip` and `inet`
 * families with their chains, sets and maps. It changes only through `nft -f`
 * text (`load`), applied as one transaction: every command or none, as the
 * kernel commits a batch. Base chains hook into netfilter at their priority
 * (see nf-hooks.ts), beside the iptables tables.
 */
export class Nftables {
  readonly tables = new Map<string, NftTable>();
  /** Bumped by every commit, so the hooks can cache their list of base chains. */
  generation = 0;
  private readonly byHook = new Map<NftHook, HookedChain[]>();
  private hookedAt = -1;
  /** Base chains registered so far (NftBase.registered). */
  private registrations = 0;
  private pending: ((nft: Nftables) => void) | undefined;

  /**
   * `program` (optional) loads the ruleset the first time anything needs it —
   * a packet reaching a hook, a listing — so a node of a large cluster that no
   * packet crosses never parses its kube-proxy table (see deferred-netfilter.ts
   * for the iptables side). Nothing observable changes: the same text is loaded.
   */
  constructor(program?: (nft: Nftables) => void) {
    this.pending = program;
  }

  /** Run the deferred programming now (idempotent). */
  materialize(): this {
    const p = this.pending;
    if (p) {
      this.pending = undefined;
      p(this);
    }
    return this;
  }

  /** Whether the deferred programming has run. */
  get programmed(): boolean {
    return this.pending === undefined;
  }

  private now = 0;
  /** Sets the transaction being loaded creates: nft's evaluator gives one the packet path writes the `dynamic` flag. */
  private createdNow = new Set<NftSet>();

  /** `nft -f`: apply the commands as one transaction at simulated time `nowNs` (element timeouts start then). Throws NftError (1-based line and column). */
  load(text: string, nowNs = 0): void {
    this.materialize();
    this.now = nowNs;
    this.createdNow.clear();
    const undo: (() => void)[] = [];
    try {
      for (const c of splitCommands(text)) this.apply(c.words, undo);
      this.checkReferences(text);
    } catch (e) {
      for (let i = undo.length - 1; i >= 0; i--) undo[i]!();
      throw e;
    }
    this.generation++;
    stateEpoch.n++;
  }

  /**
   * Base chains on a hook, lowest priority first; ties: the most recently
   * registered first. nf_hook_entries_grow keeps an existing hook ahead of the
   * new one only when its priority is strictly lower, so a new hook goes before
   * every hook of equal priority (a real kernel runs the second of two
   * priority-0 output chains first).
   */
  hooked(hook: NftHook): readonly HookedChain[] {
    this.materialize();
    if (this.hookedAt !== this.generation) {
      this.byHook.clear();
      for (const h of HOOKS) this.byHook.set(h, []);
      for (const t of this.tables.values()) for (const c of t.chains.values()) if (c.base) this.byHook.get(c.base.hook)!.push({ table: t, chain: c });
      for (const list of this.byHook.values()) list.sort((a, b) => a.chain.base!.priority - b.chain.base!.priority || b.chain.base!.registered - a.chain.base!.registered);
      this.hookedAt = this.generation;
    }
    return this.byHook.get(hook)!;
  }

  table(family: NftFamily, name: string): NftTable | undefined {
    this.materialize();
    return this.tables.get(`${family} ${name}`);
  }

  ruleCount(): number {
    this.materialize();
    let n = 0;
    for (const t of this.tables.values()) for (const c of t.chains.values()) n += c.rules.length;
    return n;
  }

  private apply(words: Token[], undo: (() => void)[]): void {
    const at = words[0]!;
    const fail = (msg: string, t: Token = at): never => {
      throw new NftError(msg, t.line, t.col);
    };
    let i = 0;
    const next = (what: string): Token => words[i++] ?? fail(`expected ${what}`, words[words.length - 1]);
    const verb = next('a command').text;
    if (verb === 'flush' && words[1]?.text === 'ruleset') {
      const saved = new Map(this.tables);
      this.tables.clear();
      undo.push(() => saved.forEach((v, k) => this.tables.set(k, v)));
      return;
    }
    if (!['add', 'create', 'insert', 'delete', 'destroy', 'flush'].includes(verb)) fail(`unknown command "${verb}"`);
    const kind = next('an object type').text;
    let family: NftFamily = 'ip';
    const fam = words[i]?.text;
    if (fam === 'ip' || fam === 'inet') {
      family = fam;
      i++;
    } else if (fam === 'ip6' || fam === 'arp' || fam === 'bridge' || fam === 'netdev') fail(`the ${fam} family is not modelled (podwalk is IPv4: ip and inet tables)`, words[i]);
    const tableTok = next('a table name');
    const key = `${family} ${tableTok.text}`;
    if (kind === 'table') return this.tableCommand(verb, family, tableTok.text, words.slice(i), undo, fail);
    const table = this.tables.get(key);
    if (!table) {
      if (verb === 'destroy') return;
      fail(`Could not process rule: No such file or directory: table ${key}`, tableTok);
    }
    const t = table!;
    const nameTok = next(`a ${kind} name`);
    const rest = words.slice(i);
    switch (kind) {
      case 'chain':
        return this.chainCommand(verb, t, nameTok, rest, undo, fail);
      case 'set':
      case 'map':
        return this.setCommand(verb, kind, t, nameTok, rest, undo, fail);
      case 'rule':
        return this.ruleCommand(verb, t, nameTok, rest, undo, fail);
      case 'element':
        return this.elementCommand(verb, t, nameTok, rest, undo, fail);
      default:
        fail(`unknown object type "${kind}"`);
    }
  }

  private tableCommand(verb: string, family: NftFamily, name: string, rest: Token[], undo: (() => void)[], fail: (m: string, t?: Token) => never): void {
    const key = `${family} ${name}`;
    const existing = this.tables.get(key);
    if (verb === 'add' || verb === 'create') {
      if (existing && verb === 'create') fail(`Could not process rule: File exists: table ${key}`);
      const props = braceProps(rest, fail);
      if (existing) {
        const old = existing.comment;
        if (props.has('comment')) existing.comment = unquote(props.get('comment')![0]!.text);
        undo.push(() => (existing.comment = old));
        return;
      }
      const t: NftTable = { family, name, comment: props.has('comment') ? unquote(props.get('comment')![0]!.text) : undefined, chains: new Map(), sets: new Map(), nextHandle: 1 };
      this.tables.set(key, t);
      undo.push(() => this.tables.delete(key));
      return;
    }
    if (!existing) {
      if (verb === 'destroy') return;
      fail(`Could not process rule: No such file or directory: table ${key}`);
    }
    const t = existing!;
    if (verb === 'flush') {
      for (const c of t.chains.values()) {
        const rules = c.rules;
        c.rules = [];
        undo.push(() => (c.rules = rules));
      }
      for (const s of t.sets.values()) {
        const els = s.flush();
        undo.push(() => els.forEach((e) => s.add(e)));
      }
      return;
    }
    this.tables.delete(key);
    undo.push(() => this.tables.set(key, t));
  }

  private chainCommand(verb: string, t: NftTable, nameTok: Token, rest: Token[], undo: (() => void)[], fail: (m: string, t?: Token) => never): void {
    const name = nameTok.text;
    const existing = t.chains.get(name);
    if (verb === 'add' || verb === 'create') {
      if (!/^[A-Za-z_.][A-Za-z0-9_./-]*$/.test(name) || name.length > 255) fail(`invalid chain name "${name}"`, nameTok);
      if (existing && verb === 'create') fail(`Could not process rule: File exists: chain ${name}`, nameTok);
      const props = braceProps(rest, fail);
      let base: NftBase | undefined;
      const type = props.get('type');
      if (type) {
        // `type T hook H priority P`
        const ct = type[0]?.text;
        if (ct !== 'filter' && ct !== 'nat' && ct !== 'route') fail(`unknown chain type "${ct}"`, type[0]);
        if (type[1]?.text !== 'hook') fail('expected "hook" after the chain type', type[1]);
        const hook = type[2]?.text as NftHook;
        if (!HOOKS.includes(hook)) fail(`unknown hook "${type[2]?.text}"`, type[2]);
        if (ct === 'nat' && !NAT_HOOKS.includes(hook)) fail(`Could not process rule: Operation not supported: a nat chain cannot hook ${hook}`, type[2]);
        if (type[3]?.text !== 'priority') fail('expected "priority" after the hook', type[3]);
        const prio = parsePriority(
          type.slice(4).map((x) => x.text),
          hook,
        );
        if (typeof prio === 'string') fail(prio, type[4]);
        const pol = props.get('policy')?.[0]?.text ?? 'accept';
        if (pol !== 'accept' && pol !== 'drop') fail(`unknown policy "${pol}"`);
        // A chain that exists keeps its registration (re-adding it registers nothing); a deleted and re-created one is new.
        base = { type: ct as NftChainType, hook, priority: prio as number, policy: pol as 'accept' | 'drop', registered: existing?.base?.registered ?? ++this.registrations };
      }
      const comment = props.has('comment') ? unquote(props.get('comment')![0]!.text) : undefined;
      if (existing) {
        if (base && existing.base && (base.hook !== existing.base.hook || base.type !== existing.base.type || base.priority !== existing.base.priority)) fail(`Could not process rule: Device or resource busy: chain ${name} exists with another hook or priority`, nameTok);
        const old = { base: existing.base, comment: existing.comment };
        if (base) existing.base = base;
        if (comment !== undefined) existing.comment = comment;
        undo.push(() => Object.assign(existing, old));
        return;
      }
      t.chains.set(name, { name, comment, base, rules: [] });
      undo.push(() => t.chains.delete(name));
      return;
    }
    if (!existing) {
      if (verb === 'destroy') return;
      fail(`Could not process rule: No such file or directory: chain ${name}`, nameTok);
    }
    const c = existing!;
    if (verb === 'flush') {
      const rules = c.rules;
      c.rules = [];
      undo.push(() => (c.rules = rules));
      return;
    }
    // Deleting a chain that is still jumped to fails (EBUSY): checked at the end of the transaction.
    t.chains.delete(name);
    undo.push(() => t.chains.set(name, c));
  }

  private setCommand(verb: string, kind: 'set' | 'map', t: NftTable, nameTok: Token, rest: Token[], undo: (() => void)[], fail: (m: string, t?: Token) => never): void {
    const name = nameTok.text;
    const existing = t.sets.get(name);
    if (verb === 'add' || verb === 'create') {
      if (existing && verb === 'create') fail(`Could not process rule: File exists: ${kind} ${name}`, nameTok);
      const props = braceProps(rest, fail);
      const type = props.get('type');
      if (!type) fail(`${kind} ${name} needs a type`, nameTok);
      const words = type!.map((x) => x.text);
      const colon = words.indexOf(':');
      if ((kind === 'map') !== (colon >= 0)) fail(kind === 'map' ? `map ${name}: expected "KEY : verdict"` : `set ${name}: a set type has no ": data"`, type![0]);
      if (kind === 'map' && words.slice(colon + 1).join(' ') !== 'verdict') fail(`map ${name}: only verdict maps are modelled`, type![colon + 1]);
      const keyWords = colon >= 0 ? words.slice(0, colon) : words;
      const keyTypes: NftType[] = [];
      keyWords.forEach((w, idx) => {
        if (idx % 2 === 1) {
          if (w !== '.') fail(`expected " . " between key types, found "${w}"`, type![idx]);
          return;
        }
        if (!KEY_TYPES.includes(w as NftType) || w === 'ifname') fail(`unknown or unsupported data type "${w}"`, type![idx]);
        keyTypes.push(w as NftType);
      });
      const flags = (props.get('flags') ?? []).map((x) => x.text).filter((x) => x !== ',');
      for (const f of flags) if (!['constant', 'interval', 'timeout', 'dynamic'].includes(f)) fail(`unknown set flag "${f}"`);
      const timeoutTok = props.get('timeout')?.[0];
      const timeoutMs = timeoutTok ? parseDuration(timeoutTok.text) : undefined;
      if (timeoutTok && timeoutMs === undefined) fail(`invalid timeout "${timeoutTok.text}"`, timeoutTok);
      const comment = props.has('comment') ? unquote(props.get('comment')![0]!.text) : undefined;
      const sizeTok = props.get('size')?.[0];
      const size = sizeTok && /^\d+$/.test(sizeTok.text) ? Number(sizeTok.text) : undefined;
      if (sizeTok && (size === undefined || size < 1 || size > 0xffffffff)) fail(`invalid size "${sizeTok.text}"`, sizeTok);
      let s = existing;
      if (s) {
        if (s.isMap !== (kind === 'map') || s.keyTypes.join(' . ') !== keyTypes.join(' . ')) fail(`Could not process rule: File exists: ${kind} ${name} has another type`, nameTok);
      } else {
        s = new NftSet(name, keyTypes, kind === 'map');
        s.flags = flags;
        s.timeoutMs = timeoutMs;
        s.comment = comment;
        s.maxElements = size;
        s.autoMerge = props.has('auto-merge');
        t.sets.set(name, s);
        this.createdNow.add(s);
        undo.push(() => t.sets.delete(name));
      }
      const elems = props.get('elements');
      if (elems) this.addElements(s, elems.slice(elems[0]?.text === '=' ? 1 : 0), undo, fail);
      return;
    }
    if (!existing) {
      if (verb === 'destroy') return;
      fail(`Could not process rule: No such file or directory: ${kind} ${name}`, nameTok);
    }
    const s = existing!;
    if (verb === 'flush') {
      const els = s.flush();
      undo.push(() => els.forEach((e) => s.add(e)));
      return;
    }
    t.sets.delete(name);
    undo.push(() => t.sets.set(name, s));
  }

  private ruleCommand(verb: string, t: NftTable, chainTok: Token, rest: Token[], undo: (() => void)[], fail: (m: string, t?: Token) => never): void {
    const c = t.chains.get(chainTok.text);
    if (!c) fail(`Could not process rule: No such file or directory: chain ${chainTok.text}`, chainTok);
    if (verb !== 'add' && verb !== 'insert') fail(`"${verb} rule" is not modelled (use add or insert; delete needs a handle)`, chainTok);
    const rule = compileRule(rest, { set: (n) => t.sets.get(n) }, t.nextHandle++);
    for (const s of rule.stmts) {
      for (const target of s.targets ?? []) {
        if (!t.chains.has(target)) fail(`Could not process rule: No such file or directory: chain ${target}`, rest.find((x) => x.text === target) ?? chainTok);
        if (t.chains.get(target)!.base) fail(`Could not process rule: Operation not supported: cannot jump to base chain ${target}`, chainTok);
      }
    }
    for (const s of rule.stmts) {
      // nft_dynset_init: a set the packet path adds to gets a size, 65535 unless it has one (`nft list` shows it).
      const set = s.updates === undefined ? undefined : t.sets.get(s.updates);
      if (set && set.maxElements === undefined) {
        set.maxElements = DYNSET_DEFAULT_SIZE;
        undo.push(() => (set.maxElements = undefined));
      }
      // nft sets NFT_SET_EVAL on a set it sends in the same transaction as the rule that updates it;
      // a set made by an earlier command keeps the flags it was made with.
      if (set && this.createdNow.has(set) && !set.flags.includes('dynamic')) {
        const before = set.flags;
        set.flags = [...before, 'dynamic'];
        undo.push(() => (set.flags = before));
      }
    }
    const chain = c!;
    const before = chain.rules;
    chain.rules = verb === 'insert' ? [rule, ...before] : [...before, rule];
    undo.push(() => (chain.rules = before));
  }

  private elementCommand(verb: string, t: NftTable, nameTok: Token, rest: Token[], undo: (() => void)[], fail: (m: string, t?: Token) => never): void {
    const s = t.sets.get(nameTok.text);
    if (!s) fail(`Could not process rule: No such file or directory: set ${nameTok.text}`, nameTok);
    if (rest[0]?.text !== '{' || rest[rest.length - 1]?.text !== '}') fail('expected { ELEMENT[, ...] }', rest[0] ?? nameTok);
    const inner = rest.slice(1, -1);
    if (verb === 'add' || verb === 'create') return this.addElements(s!, inner, undo, fail, verb === 'create');
    if (verb !== 'delete' && verb !== 'destroy') fail(`"${verb} element" is not modelled`);
    for (const el of parseElements(s!, inner, fail)) {
      const gone = s!.delete(el.key);
      if (!gone) {
        if (verb === 'destroy') continue;
        fail(`Could not process rule: No such file or directory: element ${s!.formatElement(el)} in ${s!.name}`, nameTok);
      }
      undo.push(() => s!.add(gone!));
    }
  }

  private addElements(s: NftSet, inner: Token[], undo: (() => void)[], fail: (m: string, t?: Token) => never, create = false): void {
    const words = inner[0]?.text === '{' ? inner.slice(1, -1) : inner;
    const addedNow: NftElement[] = [];
    for (const el of parseElements(s, words, fail)) {
      if (s.timeoutMs !== undefined && el.timeoutMs === undefined) el.timeoutMs = s.timeoutMs;
      if (el.timeoutMs !== undefined) el.expiresNs = this.now + el.timeoutMs * 1e6;
      if (s.flags.includes('interval') && s.keyTypes.length === 1 && this.addInterval(s, el, addedNow, undo, fail)) continue;
      addedNow.push(el);
      if (!s.add(el)) {
        if (create) fail(`Could not process rule: File exists: element in ${s.name}`);
        // nft_add_set_elem: the key is there with other data (a map's verdict): err_element_clash, EEXIST for the whole transaction.
        const had = s.find(el.key);
        if (s.isMap && had?.verdict !== undefined && el.verdict !== undefined && formatVerdict(had.verdict) !== formatVerdict(el.verdict)) {
          fail(`Could not process rule: File exists: element ${s.formatElement(el)} in ${s.name} (already ${formatVerdict(had.verdict)})`);
        }
        continue;
      }
      undo.push(() => s.delete(el.key));
    }
  }

  /**
   * An element of a named interval set, as nft 1.0.6 adds it (intervals.ts):
   * with `auto-merge`, one already covered is a no-op and the ranges it
   * overlaps or touches become one element; without, a range overlapping
   * another is refused, its exact copy left to the caller. True when handled.
   */
  private addInterval(s: NftSet, el: NftElement, addedNow: NftElement[], undo: (() => void)[], fail: (m: string, t?: Token) => never): boolean {
    const r = el.key[0]!;
    const live = s.elements(this.now);
    if (!s.autoMerge) {
      const clash = live.find((e) => overlaps(e.key[0]!, r) && (e.key[0]!.lo !== r.lo || e.key[0]!.hi !== r.hi));
      if (clash) fail(addedNow.includes(clash) ? 'conflicting intervals specified' : 'interval overlaps with an existing one');
      return false;
    }
    if (live.some((e) => e.key[0]!.lo <= r.lo && e.key[0]!.hi >= r.hi)) return true;
    let lo = r.lo;
    let hi = r.hi;
    for (const e of live) {
      if (!touches(e.key[0]!, r)) continue;
      lo = Math.min(lo, e.key[0]!.lo);
      hi = Math.max(hi, e.key[0]!.hi);
      s.delete(e.key);
      undo.push(() => s.add(e));
    }
    el.key = [{ lo, hi }];
    s.add(el);
    undo.push(() => s.delete(el.key));
    return true;
  }

  /** Every jump, goto and verdict-map target exists; every set a rule names exists (deleting a used one fails: EBUSY). */
  private checkReferences(_text: string): void {
    for (const t of this.tables.values()) {
      for (const c of t.chains.values()) {
        for (const r of c.rules) {
          for (const s of r.stmts) {
            for (const target of s.targets ?? []) if (!t.chains.has(target)) throw new NftError(`Could not process rule: Device or resource busy: chain ${target} is still used by a rule in ${c.name}`, 0, 0);
            for (const name of s.sets ?? []) if (!t.sets.has(name)) throw new NftError(`Could not process rule: Device or resource busy: set ${name} is still used by a rule in ${c.name}`, 0, 0);
          }
        }
      }
      for (const s of t.sets.values()) {
        if (!s.isMap) continue;
        for (const e of s.elements(0)) {
          const v = e.verdict;
          if (v && (v.kind === 'jump' || v.kind === 'goto') && !t.chains.has(v.chain)) throw new NftError(`Could not process rule: No such file or directory: chain ${v.chain} (element of map ${s.name})`, 0, 0);
        }
      }
    }
  }
}

/** `{ key value... ; key value... ; }` → property → its words (`type`, `flags`, `timeout`, `comment`, `policy`, `elements`). */
/** The size nft_dynset gives a set that has none (0xffff). */
const DYNSET_DEFAULT_SIZE = 65535;

function braceProps(rest: Token[], fail: (m: string, t?: Token) => never): Map<string, Token[]> {
  const out = new Map<string, Token[]>();
  if (rest.length === 0) return out;
  if (rest[0]!.text !== '{' || rest[rest.length - 1]!.text !== '}') fail(`unexpected "${rest[0]!.text}"`, rest[0]);
  let cur: Token[] = [];
  let depth = 0;
  const flush = (): void => {
    if (cur.length > 0) out.set(cur[0]!.text, cur.slice(1));
    cur = [];
  };
  for (const t of rest.slice(1, -1)) {
    if (t.text === '{') depth++;
    if (t.text === '}') depth--;
    if (depth === 0 && t.text === ';') {
      flush();
      continue;
    }
    cur.push(t);
  }
  flush();
  return out;
}

/** Elements inside `{ }`: `KEY [timeout T] [expires T] [comment "x"] [: VERDICT]`, comma-separated. */
function parseElements(s: NftSet, words: Token[], fail: (m: string, t?: Token) => never): NftElement[] {
  const out: NftElement[] = [];
  const texts = words.map((w) => w.text);
  let i = 0;
  while (i < words.length) {
    const key: Range[] = [];
    s.keyTypes.forEach((type, idx) => {
      if (idx > 0) {
        if (texts[i] !== '.') fail(`expected " . " in a ${s.typeText()} key`, words[i] ?? words[words.length - 1]);
        i++;
      }
      const tok = words[i++] ?? fail('incomplete element', words[words.length - 1]);
      const r = parseValue(type, tok.text);
      if (!r) fail(`"${tok.text}" is not a valid ${type}`, tok);
      key.push(r!);
    });
    const el: NftElement = { key };
    while (i < words.length && texts[i] !== ',' && texts[i] !== ':') {
      const w = texts[i]!;
      if (w === 'comment') {
        el.comment = unquote(texts[i + 1] ?? '');
        i += 2;
      } else if (w === 'timeout') {
        const ms = parseDuration(texts[i + 1] ?? '');
        if (ms === undefined) fail(`invalid timeout "${texts[i + 1]}"`, words[i + 1]);
        el.timeoutMs = ms;
        i += 2;
      } else if (w === 'expires') i += 2; // a listed element's remaining time: a reload starts it afresh
      else fail(`unexpected "${w}" in an element`, words[i]);
    }
    if (texts[i] === ':') {
      if (!s.isMap) fail(`${s.name} is a set: its elements have no data`, words[i]);
      const v = readVerdict(texts, i + 1);
      if (!v) fail(`expected a verdict after ":"`, words[i + 1]);
      el.verdict = v!.verdict;
      i += 1 + v!.used;
    } else if (s.isMap) fail(`map ${s.name}: element needs ": VERDICT"`, words[Math.min(i, words.length - 1)]);
    out.push(el);
    if (texts[i] === ',') i++;
  }
  return out;
}
