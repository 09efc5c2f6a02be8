/**
 * What a tool is: one definition (name, description, input and output schemas, handler) from which both the HTTP
 * tool catalog and the MCP server are built, so the two cannot describe or validate a tool differently.
 */
import { z } from '@hono/zod-openapi';
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { PulseApiError } from '../../errors.js';
import type { TaskService } from '../../tasks/task-service.js';
import { schemaError } from '../errors.js';

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

/** A bad argument reads the same over `POST /tools/{name}`, MCP and the rest of the API. */
export const validationError = (issues: readonly z.core.$ZodIssue[]) => schemaError(issues);

/** Schemas an agent can consume: draft-07 (what MCP clients' validators compile), with every `$ref` inlined. */
function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-7', io, reused: 'inline', unrepresentable: 'any' });
  return io === 'output' ? openResult(json) : nullableOptionals(json);
}

/**
 * LangChain and CrewAI tools send every argument, `null` for those the model left out, so a tool takes `null` in
 * any optional field as the field left out (`withoutNulls`), and its request schema says so.
 */
function nullableOptionals(json: JsonSchema): JsonSchema {
  const properties = json.properties as Record<string, JsonSchema> | undefined;
  if (!properties) return json;
  const required = new Set((json.required as string[] | undefined) ?? []);
  const allowNull = (property: JsonSchema): JsonSchema => {
    if (Array.isArray(property.anyOf)) {
      const branches = property.anyOf as JsonSchema[];
      return branches.some((b) => b.type === 'null')
        ? property
        : { ...property, anyOf: [...branches, { type: 'null' }] };
    }
    if (property.type === undefined || property.type === 'null') return property;
    const types = Array.isArray(property.type) ? (property.type as unknown[]) : [property.type];
    return {
      ...property,
      type: types.includes('null') ? types : [...types, 'null'],
      ...(Array.isArray(property.enum) && !property.enum.includes(null)
        ? { enum: [...(property.enum as unknown[]), null] }
        : {}),
    };
  };
  return {
    ...json,
    properties: Object.fromEntries(
      Object.entries(properties).map(([key, property]) => [
        key,
        required.has(key) ? property : allowNull(property),
      ]),
    ),
  };
}

/** The object schema inside optional, nullable and default wrappers, if there is one. */
function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let inner: z.ZodType = schema;
  while (inner instanceof z.ZodOptional || inner instanceof z.ZodNullable || inner instanceof z.ZodDefault) {
    inner = inner.unwrap() as z.ZodType;
  }
  return inner instanceof z.ZodObject ? (inner.shape as Record<string, z.ZodType>) : undefined;
}

/**
 * The arguments with `null` removed from every optional field that does not itself take `null`, at any depth the
 * schema describes objects: `null` means absent, so a default applies as it would to a missing field.
 */
function withoutNulls(schema: z.ZodType, value: unknown): unknown {
  const shape = objectShape(schema);
  if (!shape || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const fieldSchema = shape[key];
    if (!fieldSchema) {
      out[key] = field;
    } else if (field === null) {
      if (!fieldSchema.safeParse(undefined).success || fieldSchema.safeParse(null).success) out[key] = null;
    } else {
      out[key] = withoutNulls(fieldSchema, field);
    }
  }
  return out;
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
      const parsed = await spec.input.safeParseAsync(withoutNulls(spec.input, args ?? {}));
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
