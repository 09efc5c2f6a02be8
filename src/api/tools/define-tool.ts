/**
 * What a tool is: one definition (name, description, input and output schemas, handler) from which both the HTTP
 * tool catalog and the MCP server are built, so the two cannot describe or validate a tool differently.
 */
import { z } from '@hono/zod-openapi';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { PulseApiError, SchemaValidationError, type FieldError } from '../../errors.js';
import type { TaskService } from '../../tasks/task-service.js';

type JsonSchema = Record<string, unknown>;

export interface ToolSpec<I extends z.ZodObject, O extends z.ZodObject> {
  readonly name: string;
  readonly title: string;
  /** Written for the model choosing and filling in the tool: what it does, when to use it, what comes back. */
  readonly description: string;
  readonly input: I;
  readonly output: O;
  readonly annotations: Omit<ToolAnnotations, 'title'>;
  run(tasks: TaskService, input: z.output<I>): Promise<z.input<O>> | z.input<O>;
}

/** A tool with its types erased, so tools of different shapes can sit in one list. */
export interface PulseTool {
  readonly name: string;
  readonly title: string;
  readonly description: string;
  readonly input: z.ZodObject;
  readonly output: z.ZodObject;
  readonly annotations: ToolAnnotations;
  /** JSON Schema of the arguments; the catalog's `request_schema` and MCP's `inputSchema`. */
  readonly requestSchema: JsonSchema;
  /** JSON Schema of the result; the catalog's `response_schema` and MCP's `outputSchema`. */
  readonly responseSchema: JsonSchema;
  /**
   * Validates raw arguments as the HTTP API validates a body, then runs the tool. The one entry point of both
   * `POST /tools/{name}` and MCP's `tools/call`, so a tool behaves and fails the same way over either.
   */
  invoke(tasks: TaskService, args: unknown): Promise<unknown>;
}

/**
 * Field errors and `detail` in the form `createApp`'s validation hook gives a 422 body, so a bad argument reads the
 * same over `POST /tools/{name}`, MCP and the rest of the API.
 */
export function validationError(issues: readonly z.core.$ZodIssue[]): SchemaValidationError {
  const errors: FieldError[] = issues.map((issue) => ({
    field: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
  const detail = `Invalid request: ${errors.map((e) => `${e.field}: ${e.message}`).join('; ')}`;
  return new SchemaValidationError(detail, errors);
}

/** Schemas an agent can consume: draft-07 (what MCP clients' validators compile), with every `$ref` inlined. */
function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io, reused: 'inline', unrepresentable: 'any' });
  return io === 'output' ? openResult(json) : json;
}

/**
 * Results are described, not locked: later versions may add fields (no `additionalProperties: false`), and a key
 * whose value may be anything may also be absent (JSON drops an undefined `result`).
 */
function openResult(node: unknown): JsonSchema {
  if (Array.isArray(node)) return node.map(openResult) as unknown as JsonSchema;
  if (node === null || typeof node !== 'object') return node as JsonSchema;
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'additionalProperties' && value === false) continue;
    out[key] = key === 'properties' ? mapValues(value as JsonSchema, openResult) : openResult(value);
  }
  const properties = out.properties as JsonSchema | undefined;
  if (properties && Array.isArray(out.required)) {
    out.required = out.required.filter(
      (key: string) => Object.keys((properties[key] as JsonSchema | undefined) ?? {}).length > 0,
    );
  }
  return out;
}

function mapValues(record: JsonSchema, fn: (value: unknown) => unknown): JsonSchema {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, fn(value)]));
}

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(spec: ToolSpec<I, O>): PulseTool {
  return {
    name: spec.name,
    title: spec.title,
    description: spec.description,
    input: spec.input,
    output: spec.output,
    annotations: { title: spec.title, ...spec.annotations },
    requestSchema: toJsonSchema(spec.input, 'input'),
    responseSchema: toJsonSchema(spec.output, 'output'),
    async invoke(tasks, args) {
      const parsed = await spec.input.safeParseAsync(args ?? {});
      if (!parsed.success) throw validationError(parsed.error.issues);
      return spec.run(tasks, parsed.data);
    },
  };
}

/** The tool called `name`; an unknown name is a 404 naming the tools there are, over HTTP and MCP alike. */
export function findTool(tools: readonly PulseTool[], name: string): PulseTool {
  const tool = tools.find((t) => t.name === name);
  if (tool) return tool;
  throw new PulseApiError(
    404,
    'TOOL_NOT_FOUND',
    `No tool named '${name}'; the tools are: ${tools.map((t) => t.name).join(', ')}.`,
  );
}
