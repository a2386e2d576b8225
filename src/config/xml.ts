import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { AppError } from '../shared/errors.js';
import { CONFIGURATION, defaultsOf, type Field, type StructSchema } from './schema.js';
import type { Configuration } from './types.js';

/**
 * config.xml in Syncthing's own format. The only importer of fast-xml-parser.
 * Values are never parsed implicitly (an all-digit API key stays a string); each field is coerced
 * by its schema kind. Elements and attributes we do not know are kept and written back, so a file
 * written by a newer Syncthing survives a round trip through us.
 */

type XmlNode = Record<string, unknown>;
const ATTRS = ':@';
const P = '@_';

/** Unknown XML, keyed by the struct it was found in ("gui", "folders/<id>", …). */
export interface XmlExtras {
  [structKey: string]: { nodes: XmlNode[]; attrs: Record<string, string> };
}

export interface ConfigDocument {
  cfg: Configuration;
  extras: XmlExtras;
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: P,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: true,
  // Numeric character references (&#xD; and the like, which we write for CR, and Go writes for
  // CR, LF and TAB in attributes) are decoded only in this mode.
  htmlEntities: true,
});

/**
 * Escapes text for XML so that it reads back exactly: the five markup characters, CR always (a
 * parser turns a raw CR LF into LF), and in attributes also LF and TAB (which attribute-value
 * normalisation would turn into spaces). Go's encoding/xml escapes the same way.
 */
function escapeXml(value: unknown, attribute: boolean): string {
  return String(value).replace(attribute ? /[&<>"'\r\n\t]/g : /[&<>"'\r]/g, (c) => ESCAPES[c]!);
}
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;', '\n': '&#xA;', '\t': '&#x9;' };

/** Characters XML 1.0 cannot hold at all: C0 controls but TAB, LF and CR; U+FFFE, U+FFFF; unpaired surrogates. */
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/u;

/**
 * The first string in `value` (a configuration, or any part of one) that config.xml could not
 * hold, as a path to it and the offending character; undefined when everything can be written.
 */
export function xmlTextProblem(value: unknown, at = ''): { path: string; char: string } | undefined {
  if (typeof value === 'string') {
    const m = NOT_XML.exec(value);
    return m ? { path: at, char: `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` } : undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  for (const [k, v] of entries) {
    const keyProblem = !Array.isArray(value) ? xmlTextProblem(k, at) : undefined;
    if (keyProblem) return { ...keyProblem, path: `${at ? at + '.' : ''}${JSON.stringify(k)} (a key)` };
    const name = Array.isArray(value) ? `${at}[${k}]` : at ? `${at}.${k}` : k;
    const p = xmlTextProblem(v, name);
    if (p) return p;
  }
  return undefined;
}

const builder = new XMLBuilder({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: P,
  format: true,
  indentBy: '    ',
  suppressEmptyNode: false,
  processEntities: false,
  tagValueProcessor: (_name: string, value: unknown) => escapeXml(value, false),
  attributeValueProcessor: (_name: string, value: unknown) => escapeXml(value, true),
});

const tagOf = (n: XmlNode): string | undefined => Object.keys(n).find((k) => k !== ATTRS);
const childrenOf = (n: XmlNode): XmlNode[] => (n[tagOf(n)!] as XmlNode[]) ?? [];
const attrsOf = (n: XmlNode): Record<string, string> => (n[ATTRS] as Record<string, string>) ?? {};
const xmlName = (f: Field): string => f.xml ?? f.name;

function textOf(n: XmlNode): string {
  return childrenOf(n)
    .filter((c) => '#text' in c)
    .map((c) => String(c['#text']))
    .join('');
}

/** Unknown XML without the indentation text between elements (the writer re-indents it). */
function stripWhitespace(nodes: XmlNode[]): XmlNode[] {
  return nodes
    .filter((n) => !('#text' in n) || String(n['#text']).trim() !== '' || nodes.length === 1)
    .map((n) => {
      const tag = tagOf(n);
      if (!tag || tag === '#text' || tag === '#comment') return n;
      return { ...n, [tag]: stripWhitespace(childrenOf(n)) };
    });
}

function parseScalar(f: Field, raw: string, where: string): unknown {
  const text = raw.trim();
  switch (f.kind) {
    case 'int':
      if (text === '') return f.def;
      if (!/^[+-]?\d+$/.test(text)) throw new AppError('invalid', `${where}: "${raw}" is not an integer`);
      return Number(text);
    case 'float':
      if (text === '') return f.def;
      if (Number.isNaN(Number(text))) throw new AppError('invalid', `${where}: "${raw}" is not a number`);
      return Number(text);
    case 'bool':
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return true;
      if (['0', 'f', 'F', 'FALSE', 'false', 'False', ''].includes(text)) return text === '' ? f.def : false;
      throw new AppError('invalid', `${where}: "${raw}" is not a boolean`);
    case 'enum': {
      const v = f.aliases?.[text] ?? text;
      return f.values.includes(v) ? v : f.def;
    }
    default:
      return raw;
  }
}

function readStruct(schema: StructSchema, node: XmlNode, key: string, extras: XmlExtras, where: string): Record<string, unknown> {
  const value = defaultsOf(schema);
  const attrs = attrsOf(node);
  const kids = childrenOf(node).filter((c) => !('#text' in c) && !('#comment' in c));
  const known = new Set<string>();
  const knownAttrs = new Set<string>();
  const multi = new Map<string, unknown[]>();
  const childKey = (f: Field, el: Record<string, unknown>): string =>
    `${key ? key + '/' : ''}${f.name}/${String(el.id ?? el.deviceID ?? '')}`;

  for (const f of schema.fields) {
    const name = xmlName(f);
    if (f.place === 'attr') {
      knownAttrs.add(P + name);
      const raw = attrs[P + name];
      if (raw !== undefined) value[f.name] = parseScalar(f, raw, `${where} attribute ${name}`);
      continue;
    }
    if (f.place === 'text') {
      value[f.name] = parseScalar(f, textOf(node), `${where} value`);
      continue;
    }
    known.add(name);
    const matches = kids.filter((c) => tagOf(c) === name);
    if (matches.length === 0) continue;
    const at = `${where} <${name}>`;
    switch (f.kind) {
      case 'strings':
        multi.set(f.name, matches.map((m) => textOf(m)));
        break;
      case 'map': {
        const map: Record<string, string> = {};
        for (const m of matches) {
          const a = attrsOf(m);
          if (a[P + 'key'] !== undefined) map[a[P + 'key']!] = a[P + 'val'] ?? '';
        }
        value[f.name] = map;
        break;
      }
      case 'struct':
        value[f.name] = readStruct(f.schema, matches[0]!, `${key ? key + '/' : ''}${f.name}`, extras, at);
        break;
      case 'structs':
        value[f.name] = matches.map((m) => {
          const el = readStruct(f.schema, m, '', {}, at);
          const sub = childKey(f, el);
          readStruct(f.schema, m, sub, extras, at); // second pass records this element's unknown XML under its own key
          return el;
        });
        break;
      default:
        value[f.name] = parseScalar(f, textOf(matches[0]!), at);
    }
  }
  for (const [name, list] of multi) value[name] = list;

  const unknownNodes = kids.filter((c) => !known.has(tagOf(c)!));
  const unknownAttrs = Object.fromEntries(Object.entries(attrs).filter(([a]) => !knownAttrs.has(a)));
  if (key && (unknownNodes.length || Object.keys(unknownAttrs).length)) extras[key] = { nodes: stripWhitespace(unknownNodes), attrs: unknownAttrs };
  return value;
}

function formatScalar(v: unknown): string {
  return typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v ?? '');
}

function writeStruct(schema: StructSchema, tag: string, value: Record<string, unknown>, key: string, extras: XmlExtras): XmlNode {
  const attrs: Record<string, string> = {};
  const kids: XmlNode[] = [];
  for (const f of schema.fields) {
    const name = xmlName(f);
    const v = value[f.name];
    if (f.place === 'attr') {
      attrs[P + name] = formatScalar(v);
      continue;
    }
    if (f.place === 'text') {
      kids.push({ '#text': formatScalar(v) });
      continue;
    }
    switch (f.kind) {
      case 'strings':
        for (const item of v as string[]) kids.push({ [name]: [{ '#text': item }] });
        break;
      case 'map':
        for (const [k, val] of Object.entries(v as Record<string, string>)) kids.push({ [name]: [], [ATTRS]: { [P + 'key']: k, [P + 'val']: val } });
        break;
      case 'struct':
        kids.push(writeStruct(f.schema, name, v as Record<string, unknown>, `${key ? key + '/' : ''}${f.name}`, extras));
        break;
      case 'structs':
        for (const el of v as Record<string, unknown>[]) {
          kids.push(writeStruct(f.schema, name, el, `${key ? key + '/' : ''}${f.name}/${String(el.id ?? el.deviceID ?? '')}`, extras));
        }
        break;
      default:
        kids.push({ [name]: [{ '#text': formatScalar(v) }] });
    }
  }
  const extra = extras[key];
  if (extra) {
    Object.assign(attrs, extra.attrs);
    kids.push(...extra.nodes);
  }
  const node: XmlNode = { [tag]: kids };
  if (Object.keys(attrs).length) node[ATTRS] = attrs;
  return node;
}

/** Reads config.xml text. Throws AppError('invalid') naming the line of a syntax error. */
export function parseConfigXml(text: string): ConfigDocument {
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new AppError('invalid', `line ${valid.err.line}, column ${valid.err.col}: ${valid.err.msg}`);
  }
  const doc = parser.parse(text) as XmlNode[];
  const root = doc.find((n) => tagOf(n) === 'configuration');
  if (!root) throw new AppError('invalid', 'no <configuration> element');
  const extras: XmlExtras = {};
  const cfg = readStruct(CONFIGURATION, root, 'configuration', extras, '<configuration>') as unknown as Configuration;
  return { cfg, extras };
}

/** Writes config.xml text for a configuration (plus the unknown XML read with it). */
export function serializeConfigXml(doc: ConfigDocument): string {
  const root = writeStruct(CONFIGURATION, 'configuration', doc.cfg as unknown as Record<string, unknown>, 'configuration', doc.extras);
  return String(builder.build([root])).trimStart();
}
