import ts from 'typescript';
import { fileURLToPath } from 'node:url';

/** The package's entry points and their source files. */
export const ENTRY_POINTS = {
  'rx-orchestra': 'src/index.ts',
  'rx-orchestra/operators': 'operators/index.ts',
  'rx-orchestra/testing': 'src/testing/index.ts',
  'rx-orchestra/patterns': 'src/patterns/index.ts',
  'rx-orchestra/observe': 'src/observe/index.ts',
  'rx-orchestra/store': 'src/store/index.ts',
  'rx-orchestra/distributed': 'src/distributed/index.ts',
  'rx-orchestra/ui': 'src/ui/index.ts',
  'rx-orchestra/mcp': 'src/mcp/index.ts',
} as const;

const FLAGS = ts.TypeFormatFlags.NoTruncation | ts.TypeFormatFlags.UseFullyQualifiedType | ts.TypeFormatFlags.WriteArrowStyleSignature;

/** One line per exported name: its kind and its type, as the compiler sees it. */
export interface PublicApi {
  entries: Record<string, string[]>;
  /** Names exported from more than one entry point. */
  duplicates: string[];
}

/**
 * Reads the public surface of every entry point with the TypeScript compiler: each exported name with
 * its kind and its signature or members, so that any change of the public API is a visible diff of the
 * checked-in report. (A type-level snapshot instead of api-extractor: it needs no build and reads the
 * eight entry points in one program.)
 */
export function publicApi(): PublicApi {
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const config = ts.getParsedCommandLineOfConfigFile(`${root}tsconfig.json`, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const program = ts.createProgram(Object.values(ENTRY_POINTS).map((file) => root + file), { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const relativePaths = (line: string) => line.replaceAll(`import("${root}`, 'import("');
  const text = (type: ts.Type, at?: ts.Node) => checker.typeToString(type, at, FLAGS);
  const members = (symbol: ts.Symbol, at: ts.Node) =>
    checker
      .getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol))
      .filter((member) => !member.name.startsWith('#') && !member.name.startsWith('__'))
      .filter((member) => !(member.declarations ?? []).some((d) => d.getSourceFile().hasNoDefaultLib)) // Error's own message/stack/cause
      .map((member) => `${member.name}${member.flags & ts.SymbolFlags.Optional ? '?' : ''}: ${text(checker.getTypeOfSymbolAtLocation(member, at), at)}`);
  const describe = (name: string, exported: ts.Symbol): string[] => {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const at = symbol.declarations?.[0];
    if (!at) return [`${name}: ?`];
    const lines: string[] = [];
    const f = symbol.flags;
    if (f & ts.SymbolFlags.Class) {
      const statics = checker.getPropertiesOfType(checker.getTypeOfSymbolAtLocation(symbol, at)).filter((m) => !['prototype', 'captureStackTrace', 'prepareStackTrace', 'stackTraceLimit'].includes(m.name)).map((m) => `static ${m.name}`);
      const ctor = checker.getTypeOfSymbolAtLocation(symbol, at).getConstructSignatures().map((s) => checker.signatureToString(s, at, FLAGS));
      lines.push(`class ${name} { ${[...ctor.map((c) => `new ${c}`), ...statics, ...members(symbol, at)].join('; ')} }`);
    } else if (f & ts.SymbolFlags.Function) {
      for (const signature of checker.getTypeOfSymbolAtLocation(symbol, at).getCallSignatures()) lines.push(`function ${name}${checker.signatureToString(signature, at, FLAGS)}`);
    } else if (f & ts.SymbolFlags.Variable) {
      lines.push(`const ${name}: ${text(checker.getTypeOfSymbolAtLocation(symbol, at), at)}`);
    }
    if (f & ts.SymbolFlags.Interface) lines.push(`interface ${name} { ${members(symbol, at).join('; ')} }`);
    if (f & ts.SymbolFlags.TypeAlias) {
      const declaration = at as ts.TypeAliasDeclaration;
      lines.push(`type ${name} = ${declaration.type ? declaration.type.getText().replace(/\s+/g, ' ') : text(checker.getDeclaredTypeOfSymbol(symbol), at)}`);
    }
    if (f & ts.SymbolFlags.Enum) lines.push(`enum ${name}`);
    return lines.length ? lines : [`${name}: ${ts.SymbolFlags[f] ?? f}`];
  };
  const entries: Record<string, string[]> = {};
  const owner = new Map<string, string>();
  const duplicates: string[] = [];
  for (const [entry, file] of Object.entries(ENTRY_POINTS)) {
    const source = program.getSourceFile(root + file)!;
    const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(source)!);
    entries[entry] = exports
      .map((symbol) => {
        if (owner.has(symbol.name)) duplicates.push(`${symbol.name} (${owner.get(symbol.name)}, ${entry})`);
        owner.set(symbol.name, entry);
        return relativePaths(describe(symbol.name, symbol).join('\n'));
      })
      .sort();
  }
  return { entries, duplicates };
}

/** The report as Markdown: one section per entry point. */
export function formatPublicApi({ entries }: PublicApi): string {
  const sections = Object.entries(entries).map(([entry, lines]) => `## ${entry} (${lines.length} names)\n\n${lines.map((line) => `    ${line.replace(/\n/g, '\n    ')}`).join('\n')}\n`);
  return `# rx-orchestra public API\n\nGenerated by test/packaging/public-api.test.ts from the entry points' types: a change of the public surface is a diff\nof this file. After a deliberate change: \`npx vitest run test/packaging/public-api.test.ts -u\`.\n\n${sections.join('\n')}`;
}
