import type { ToolInputCheck } from '../agents/tool.js';
import type { AjvIssue, McpSdk } from './sdk.js';

/** The dialect a schema's `$schema` names; draft-07 (what most MCP servers emit) when absent or unknown. */
function dialectOf(schema: Record<string, unknown>): 'draft-07' | '2019-09' | '2020-12' {
  const uri = typeof schema.$schema === 'string' ? schema.$schema : '';
  return uri.includes('2020-12') ? '2020-12' : uri.includes('2019-09') ? '2019-09' : 'draft-07';
}

/** One ajv error as a line the model can act on, like the zod tools' issues: `path: message`. */
function lineOf(issue: AjvIssue): string {
  const path = issue.instancePath === '' ? '(root)' : issue.instancePath.slice(1).split('/').map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
  const { params } = issue;
  let detail = '';
  if (issue.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') detail = `: '${params.additionalProperty}'`;
  else if (issue.keyword === 'enum' && Array.isArray(params.allowedValues)) detail = `: ${params.allowedValues.map((value) => JSON.stringify(value)).join(', ')}`;
  return `${path}: ${issue.message ?? `fails '${issue.keyword}'`}${detail}`;
}

/**
 * Compiles an MCP tool's input schema into the `check` of its `Tool`: the model's input is validated
 * against the server's JSON Schema, and each failure becomes a `path: message` line sent back to the
 * model. A schema ajv cannot compile is left to the server to enforce (the check then only requires an
 * object), rather than making the tool unusable.
 * @internal
 */
export function jsonSchemaCheck(sdk: McpSdk, schema: Record<string, unknown>): (input: unknown) => ToolInputCheck<Record<string, unknown>> {
  const { $schema: _dialect, ...body } = schema;
  let validate: ReturnType<ReturnType<McpSdk['newAjv']>['compile']> | undefined;
  try {
    validate = sdk.newAjv(dialectOf(schema)).compile(body);
  } catch {
    validate = undefined;
  }
  return (input) => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return { ok: false, issues: [`(root): must be an object, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`] };
    }
    if (validate === undefined || validate(input)) return { ok: true, value: input as Record<string, unknown> };
    return { ok: false, issues: (validate.errors ?? []).map(lineOf) };
  };
}
