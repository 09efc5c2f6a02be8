/**
 * Optional OpenTelemetry tracing through Temporal's interceptors, turned on by `PULSE_TRACING` (`otlp` or
 * `console`). One task becomes one trace: the API's StartWorkflow span, the workflow's RunWorkflow span, and a
 * StartActivity/RunActivity pair for `executeAgent` and for `deliverCallback`. Where spans go is `loadConfig`'s
 * (`otlpTracesUrl`, from the standard `OTEL_EXPORTER_OTLP_*` variables); the OpenTelemetry libraries themselves
 * still read their other standard variables (headers, `OTEL_SERVICE_NAME`, else `pulse`).
 *
 * Entry points import this module only when tracing is on, so the default path loads no OpenTelemetry code
 * and the workflow bundle carries no tracing interceptor.
 */
import * as otel from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource, envDetectorSync } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { ClientInterceptors } from '@temporalio/client';
import {
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  OpenTelemetryWorkflowClientInterceptor,
  makeWorkflowExporter,
} from '@temporalio/interceptors-opentelemetry';
import type {
  ActivityExecuteInput,
  ActivityInboundCallsInterceptor,
  Next,
  WorkerOptions,
} from '@temporalio/worker';
import { createRequire } from 'node:module';
import type { DeliverCallbackInput } from '../../activities/deliver-callback.js';
import type { TracingMode } from '../config.js';
import type { ExecutionRequest } from '../shared/task-types.js';

/** What the worker needs for tracing: the interceptors, and the sink that exports workflow spans. */
export type WorkerTracing = Required<Pick<WorkerOptions, 'interceptors' | 'sinks'>>;

export interface PulseTracing {
  /** For the API's Temporal client: StartWorkflow (and query, update, cancel) spans that carry the trace. */
  readonly clientInterceptors: ClientInterceptors;
  readonly worker: WorkerTracing;
  /** Runs an API request under the caller's W3C trace context (`traceparent`), when it sent one. */
  withTraceParent<T>(headers: Headers, handle: () => Promise<T>): Promise<T>;
  /** Where spans go, for the start-up log. */
  readonly destination: string;
  /** Exports the spans still buffered, then stops. */
  shutdown(): Promise<void>;
}

const require = createRequire(import.meta.url);

const headerGetter: otel.TextMapGetter<Headers> = {
  get: (headers, key) => headers.get(key) ?? undefined,
  keys: (headers) => [...headers.keys()],
};

export interface TracingOptions {
  /** Where the OTLP/HTTP exporter posts spans (`loadConfig`'s `otlpTracesUrl`); the exporter's default if absent. */
  readonly otlpTracesUrl?: string;
}

/** Installs a tracer provider for this process and returns what the client, worker and API plug in. */
export function startTracing(mode: Exclude<TracingMode, 'off'>, options: TracingOptions = {}): PulseTracing {
  const resource = new Resource({
    ...Resource.default().attributes,
    [ATTR_SERVICE_NAME]: 'pulse',
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win over the defaults above.
    ...envDetectorSync.detect().attributes,
  });
  const processor: SpanProcessor =
    mode === 'otlp'
      ? new BatchSpanProcessor(
          new OTLPTraceExporter(options.otlpTracesUrl ? { url: options.otlpTracesUrl } : {}),
        )
      : new SimpleSpanProcessor(new ConsoleSpanExporter());
  const provider = new NodeTracerProvider({
    resource,
    mergeResourceWithDefaults: false,
    spanProcessors: [processor],
  });
  // Global on purpose: the interceptors find the tracer, the W3C propagator and the async context there.
  provider.register();

  return {
    clientInterceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    worker: {
      interceptors: {
        // Bundled into the workflow sandbox; its spans leave through the `exporter` sink below.
        workflowModules: [
          require.resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors'),
        ],
        activity: [
          (ctx) => ({
            inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
            outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
          }),
          () => ({ inbound: new TaskAttributes() }),
        ],
      },
      // Sinks are not called on replay, so a workflow's spans are exported once, not on every worker restart.
      sinks: { exporter: makeWorkflowExporter(processor, resource) },
    },
    withTraceParent: (headers, handle) =>
      otel.context.with(otel.propagation.extract(otel.ROOT_CONTEXT, headers, headerGetter), handle),
    destination: mode === 'otlp' ? (options.otlpTracesUrl ?? 'the OTLP exporter default') : 'stdout',
    shutdown: () => provider.shutdown(),
  };
}

/**
 * Puts the task and run ids on the activity's span, so a trace can be found from a task id. It runs inside
 * the OpenTelemetry interceptor, whose span is the active one. URLs and payloads stay out: they may hold secrets.
 */
class TaskAttributes implements ActivityInboundCallsInterceptor {
  async execute(
    input: ActivityExecuteInput,
    next: Next<ActivityInboundCallsInterceptor, 'execute'>,
  ): Promise<unknown> {
    const span = otel.trace.getActiveSpan();
    const [given] = input.args;
    // `runAndDeliver` carries the run's request inside its input.
    const arg = given && typeof given === 'object' && 'request' in given ? given.request : given;
    if (span && arg && typeof arg === 'object') {
      if ('executionId' in arg) {
        const request = arg as ExecutionRequest;
        span.setAttributes({
          'pulse.task_id': request.taskId,
          'pulse.execution_id': request.executionId,
          'pulse.schedule_type': request.scheduleType,
          ...(request.executor ? { 'pulse.executor': request.executor } : {}),
        });
      } else if ('webhookId' in arg) {
        const { body } = arg as DeliverCallbackInput;
        span.setAttributes({
          'pulse.task_id': body.task_id,
          'pulse.execution_id': body.execution_id,
          ...('event' in body ? { 'pulse.notice': body.event } : { 'pulse.run_status': body.status }),
        });
      }
    }
    return next(input);
  }
}
