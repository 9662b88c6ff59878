/**
 * The typed event bus (seed 001): topics with zod schemas, validated publishing, Observable and
 * callback subscriptions, a bounded event log.
 * @module
 */
export { createBus, EventBus, DEFAULT_LOG_SIZE, type BusOptions, type PublishOptions, type SubscribeOptions, type HandlerFailure } from './bus.js';
export { EventLog, type LogQuery } from './event-log.js';
export { BusError, isBusError, type BusErrorCode, type PayloadIssue } from './errors.js';
export type { BusEvent, TopicSchemas, TopicOf, PayloadOf, PayloadInput, TopicSelector, SelectedEvent } from './bus-event.js';
